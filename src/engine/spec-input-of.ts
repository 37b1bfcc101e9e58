/**
 * What the runtime needs to write a container's OCI spec, from its record (the image merged with the
 * request) and what start has settled: its mounted rootfs, its resolved user, its etc files. Pure.
 */
import type { ResolvedUser, SpecInput, SpecMount } from '../runtime/spec-input.ts';
import type { ContainerRecord } from './container-types.ts';
import { networkChoice } from './etc-files.ts';
import { cgroupsPathOf } from './layout.ts';

export function specInputOf(
  record: ContainerRecord,
  settled: { rootfs: string; user: ResolvedUser; etcFiles: NonNullable<SpecInput['etcFiles']> },
): SpecInput {
  const { request } = record;
  const tmpfsOptions = new Map((request.mounts ?? []).flatMap((m) => (m.type === 'tmpfs' ? [[m.target, m] as const] : [])));
  const mounts: SpecMount[] = record.mounts.map((m) => {
    if (m.type !== 'tmpfs') return { type: 'bind', source: m.source, target: m.target, readOnly: m.readOnly };
    const t = tmpfsOptions.get(m.target);
    return { type: 'tmpfs', target: m.target, sizeBytes: t?.sizeBytes, mode: t?.mode };
  });
  return {
    rootfs: settled.rootfs,
    readOnlyRootfs: !!request.readOnlyRootfs,
    args: [record.path, ...record.args],
    env: record.env,
    cwd: record.workingDir,
    user: settled.user,
    hostname: record.hostname,
    tty: !!request.tty,
    consoleSize: request.consoleSize,
    mounts,
    resources: { ...request.resources },
    capAdd: request.capAdd ?? [],
    capDrop: request.capDrop ?? [],
    privileged: !!request.privileged,
    noNewPrivileges: !!request.securityOpt?.noNewPrivileges,
    seccomp: request.securityOpt?.seccomp ?? 'default',
    cgroupsPath: cgroupsPathOf(record.id),
    // A bridge network is joined after runc made the namespace; only `host` shares the host's.
    network: { mode: networkChoice(request.networkMode).kind === 'host' ? 'host' : 'private' },
    etcFiles: settled.etcFiles,
  };
}
