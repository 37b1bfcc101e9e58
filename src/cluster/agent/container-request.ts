/**
 * The engine's create request for one attempt of a pod container: the image, the process (command/args
 * over the image's), the environment, mounts, resource limits, the security settings the engine can
 * express, and the pod sandbox to join. Pure. The engine never restarts these containers itself
 * (restart policy `no`): the agent does, with the pod's policy and back-off.
 */
import type {
  ContainerCreateRequest,
  ContainerResources,
  MountRequest,
} from '../../engine/container-types.ts';
import { tryParseQuantity } from '../resources/quantity.ts';
import type { Container, Pod } from '../resources/pod-schemas.ts';
import { processOverrides } from './container-command.ts';
import { envList } from './container-env.ts';
import { type ContainerRole, containerLabels, engineContainerName } from './pod-labels.ts';

export interface AttemptInput {
  pod: Pod;
  container: Container;
  role: ContainerRole;
  attempt: number;
  sandboxId: string;
  env: ReadonlyMap<string, string>;
  mounts: MountRequest[];
}

export function containerCreateRequest(input: AttemptInput): ContainerCreateRequest {
  const { pod, container } = input;
  const security = container.securityContext;
  const podSecurity = pod.spec.securityContext;
  const request: ContainerCreateRequest = {
    image: container.image ?? '',
    name: engineContainerName(pod, container.name, input.attempt),
    ...processOverrides(container, input.env),
    env: envList(input.env),
    workingDir: container.workingDir,
    user: userOf(
      security?.runAsUser ?? podSecurity?.runAsUser,
      security?.runAsGroup ?? podSecurity?.runAsGroup,
    ),
    tty: container.tty,
    openStdin: container.stdin,
    stdinOnce: container.stdinOnce,
    labels: containerLabels(pod, container.name, input.role, input.attempt),
    mounts: input.mounts,
    readOnlyRootfs: security?.readOnlyRootFilesystem,
    resources: resourcesOf(container),
    restartPolicy: { name: 'no' },
    stopTimeout: pod.spec.terminationGracePeriodSeconds ?? 30,
    sandbox: input.sandboxId,
    privileged: security?.privileged,
    capAdd: security?.capabilities?.add,
    capDrop: security?.capabilities?.drop,
    securityOpt: security?.allowPrivilegeEscalation === false ? { noNewPrivileges: true } : undefined,
  };
  return JSON.parse(JSON.stringify(request)) as ContainerCreateRequest;
}

/** Limits become the container's cgroup limits: memory in bytes, cpu in nano-CPUs (`500m` → 5e8). */
export function resourcesOf(container: Container): ContainerResources | undefined {
  const limits = container.resources?.limits ?? {};
  const memory = limits.memory === undefined ? undefined : tryParseQuantity(limits.memory);
  const cpu = limits.cpu === undefined ? undefined : tryParseQuantity(limits.cpu);
  const resources: ContainerResources = {};
  if (memory !== undefined && memory > 0) resources.memoryBytes = Math.round(memory);
  if (cpu !== undefined && cpu > 0) resources.nanoCpus = Math.round(cpu * 1e9);
  return Object.keys(resources).length ? resources : undefined;
}

function userOf(uid: number | undefined, gid: number | undefined): string | undefined {
  if (uid === undefined) return gid === undefined ? undefined : `0:${gid}`;
  return gid === undefined ? String(uid) : `${uid}:${gid}`;
}
