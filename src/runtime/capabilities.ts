/**
 * Linux capability names and Docker's rules for computing a container's set from the defaults and the
 * user's --cap-add/--cap-drop. Pure.
 */
import { invalid } from '../errors.ts';

/** Every capability of Linux 5.9+ (cap_last_cap 40), in number order. */
export const allCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default set (moby oci/caps/defaults.go). */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const ALL = 'ALL';

/** `net_admin`, `NET_ADMIN`, `cap_net_admin` → `CAP_NET_ADMIN`; `all` → `ALL`; unknown names are Invalid. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === ALL) return ALL;
  const prefixed = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!allCapabilities.includes(prefixed)) {
    throw invalid(`unknown capability: "${name}"; use a Linux capability name such as NET_ADMIN, or ALL`, { capability: name });
  }
  return prefixed;
}

/**
 * Docker's rule: `--cap-add ALL` gives every capability but the dropped ones; `--cap-drop ALL` gives only
 * the added ones; otherwise the defaults minus the dropped plus the added (adding wins).
 */
export function effectiveCapabilities(options: { capAdd: readonly string[]; capDrop: readonly string[]; privileged: boolean }): string[] {
  if (options.privileged) return [...allCapabilities];
  const add = options.capAdd.map(normalizeCapability);
  const drop = options.capDrop.map(normalizeCapability);
  let caps: string[];
  if (add.includes(ALL)) caps = allCapabilities.filter((c) => !drop.includes(c));
  else if (drop.includes(ALL)) caps = add;
  else caps = [...defaultCapabilities.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps)];
}
