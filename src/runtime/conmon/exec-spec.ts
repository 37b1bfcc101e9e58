/**
 * The process spec of an exec session: the container's own process (capabilities, rlimits, no-new-privs
 * stay as the container has them) with the exec's command, environment, user and terminal. Pure.
 */
import { allCapabilities } from '../capabilities.ts';
import type { OciProcess } from '../oci-spec.ts';
import type { ExecOptions } from '../runtime.ts';

export function execProcessSpec(container: OciProcess, options: ExecOptions): OciProcess {
  const env = new Map<string, string>();
  for (const entry of [...container.env, ...(options.env ?? [])]) env.set(entry.split('=', 1)[0] ?? entry, entry);
  const caps = options.privileged ? [...allCapabilities] : undefined;
  const spec: OciProcess = {
    ...container,
    terminal: options.tty,
    args: [...options.args],
    env: [...env.values()],
    cwd: options.cwd || container.cwd,
    user: options.user
      ? { uid: options.user.uid, gid: options.user.gid, additionalGids: [...(options.user.additionalGids ?? [])] }
      : container.user,
    capabilities: caps ? { bounding: caps, effective: [...caps], permitted: [...caps] } : container.capabilities,
  };
  delete spec.consoleSize;
  if (options.tty && options.consoleSize) spec.consoleSize = { ...options.consoleSize };
  return spec;
}
