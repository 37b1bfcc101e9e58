/**
 * `buildSpec`: the engine's resolved request → the OCI runtime spec runc runs, with Docker's secure
 * defaults (moby oci/defaults.go, daemon/oci_linux.go) and Marina's own (a default pids limit). Pure:
 * every value comes from the input, so the whole policy is unit-tested without root.
 */
import { invalid } from '../errors.ts';
import { effectiveCapabilities } from './capabilities.ts';
import type { OciDeviceRule, OciMount, OciNamespace, OciResources, OciSpec } from './oci-spec.ts';
import { defaultSeccompProfile } from './seccomp.ts';
import type { ResourceLimits, SpecInput, SpecMount } from './spec-input.ts';

export const OCI_VERSION = '1.0.2-dev';
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Marina's default: a fork bomb in one container cannot exhaust the host's pids. */
export const DEFAULT_PIDS_LIMIT = 4096;
export const CPU_PERIOD_US = 100_000;
/** Docker's lower bound: below this the kernel OOM-kills the runtime's own setup. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
const SHM_SIZE_BYTES = 64 * 1024 * 1024;

export const defaultMaskedPaths: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const defaultReadonlyPaths: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const charDevice = (major: number, minor: number, allow: boolean): OciDeviceRule => ({ allow, type: 'c', major, minor, access: 'rwm' });

/** Deny everything, then null, zero, full, random, urandom, tty, console; never /dev/fuse (10:229). */
export const defaultDeviceRules: readonly OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  charDevice(1, 5, true),
  charDevice(1, 3, true),
  charDevice(1, 9, true),
  charDevice(1, 8, true),
  charDevice(5, 0, true),
  charDevice(5, 1, true),
  charDevice(10, 229, false),
];

const privateNetworkSysctls: Readonly<Record<string, string>> = {
  'net.ipv4.ip_unprivileged_port_start': '0',
  'net.ipv4.ping_group_range': '0 2147483647',
};

function systemMounts(privileged: boolean): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [privileged ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${SHM_SIZE_BYTES}`] },
  ];
}

/** Like Docker's --tmpfs: nosuid,nodev,noexec unless the user's options say otherwise (exec, suid, dev). */
export function tmpfsOptions(mount: { sizeBytes?: number; mode?: number; options?: string[] }): string[] {
  const given = mount.options ?? [];
  const defaults = ['nosuid', 'nodev', 'noexec'].filter((opt) => !given.includes(opt.slice(2)));
  const options = [...defaults, ...given];
  if (mount.sizeBytes !== undefined) {
    if (!Number.isInteger(mount.sizeBytes) || mount.sizeBytes <= 0) throw invalid(`invalid tmpfs size ${mount.sizeBytes}: use a positive number of bytes`);
    options.push(`size=${mount.sizeBytes}`);
  }
  if (mount.mode !== undefined) {
    if (!Number.isInteger(mount.mode) || mount.mode < 0 || mount.mode > 0o7777) throw invalid(`invalid tmpfs mode ${mount.mode}: use an octal mode such as 1777`);
    options.push(`mode=${mount.mode.toString(8)}`);
  }
  return options;
}

function userMount(mount: SpecMount): OciMount {
  if (!mount.target.startsWith('/')) throw invalid(`mount target "${mount.target}" must be an absolute path`, { target: mount.target });
  if (mount.type === 'bind') {
    return { destination: mount.target, type: 'bind', source: mount.source, options: ['rbind', mount.readOnly ? 'ro' : 'rw', 'rprivate'] };
  }
  return { destination: mount.target, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(mount) };
}

function etcFileMounts(input: SpecInput): OciMount[] {
  const files = input.etcFiles ?? {};
  const entries: [string, string | undefined][] = [
    ['/etc/hostname', files.hostname],
    ['/etc/hosts', files.hosts],
    ['/etc/resolv.conf', files.resolvConf],
  ];
  return entries.flatMap(([destination, source]) =>
    source === undefined
      ? []
      : [{ destination, type: 'bind', source, options: ['rbind', 'rprivate', input.readOnlyRootfs ? 'ro' : 'rw'] }],
  );
}

/** User mounts replace the defaults at the same place (and below it: a user's /dev hides /dev/shm). */
function mergeMounts(defaults: OciMount[], user: OciMount[]): OciMount[] {
  const covered = (destination: string) => user.some((m) => destination === m.destination || destination.startsWith(`${m.destination}/`));
  return [...defaults.filter((m) => !covered(m.destination)), ...user];
}

export function resources(limits: ResourceLimits, privileged: boolean): OciResources {
  const result: OciResources = {
    devices: privileged ? [{ allow: true, access: 'rwm' }] : defaultDeviceRules.map((rule) => ({ ...rule })),
  };
  if (limits.memoryBytes !== undefined) {
    if (!Number.isInteger(limits.memoryBytes) || limits.memoryBytes < MIN_MEMORY_BYTES) {
      throw invalid(`memory limit ${limits.memoryBytes} is too low: the minimum is 6MB`, { memoryBytes: limits.memoryBytes });
    }
    // runc's swap is memory+swap: equal to the limit means no swap at all.
    result.memory = { limit: limits.memoryBytes, swap: limits.memoryBytes };
  }
  if (limits.nanoCpus !== undefined) {
    const quota = Math.round((limits.nanoCpus * CPU_PERIOD_US) / 1e9);
    if (!Number.isFinite(quota) || quota < 1000) {
      throw invalid(`cpu limit ${limits.nanoCpus / 1e9} is too low: use at least 0.01 CPUs`, { nanoCpus: limits.nanoCpus });
    }
    result.cpu = { quota, period: CPU_PERIOD_US };
  }
  const pids = limits.pidsLimit ?? DEFAULT_PIDS_LIMIT;
  if (!Number.isInteger(pids) || (pids < 1 && pids !== -1)) {
    throw invalid(`pids limit ${pids} is invalid: use a positive number, or -1 for no limit`, { pidsLimit: pids });
  }
  if (pids !== -1) result.pids = { limit: pids };
  return result;
}

function namespaces(network: SpecInput['network']): OciNamespace[] {
  const result: OciNamespace[] = [{ type: 'mount' }];
  if (network.mode === 'private') result.push({ type: 'network' });
  if (network.mode === 'path') result.push({ type: 'network', path: network.path });
  result.push({ type: 'uts' }, { type: 'pid' }, { type: 'ipc' });
  return result;
}

function sysctls(input: SpecInput): Record<string, string> {
  const user = input.sysctl ?? {};
  if (input.network.mode === 'host') {
    const netKey = Object.keys(user).find((key) => key.startsWith('net.'));
    if (netKey) throw invalid(`sysctl "${netKey}" cannot be set with the host network: it would change the host`, { sysctl: netKey });
    return { ...user };
  }
  return { ...privateNetworkSysctls, ...user };
}

/** Later entries win; keeps the position of a variable's first appearance. */
function mergeEnv(entries: string[]): string[] {
  const byKey = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    byKey.set(eq === -1 ? entry : entry.slice(0, eq), entry);
  }
  return [...byKey.values()];
}

function processEnv(input: SpecInput): string[] {
  const hasVar = (name: string) => input.env.some((e) => e.startsWith(`${name}=`));
  return mergeEnv([
    ...(hasVar('PATH') ? [] : [`PATH=${DEFAULT_PATH}`]),
    `HOSTNAME=${input.hostname}`,
    ...(input.tty && !hasVar('TERM') ? ['TERM=xterm'] : []),
    ...input.env,
  ]);
}

export function buildSpec(input: SpecInput): OciSpec {
  if (input.args.length === 0) throw invalid('no command specified: give a command or use an image with a Cmd or Entrypoint');
  if (!input.cwd.startsWith('/')) throw invalid(`working directory "${input.cwd}" must be an absolute path`, { cwd: input.cwd });
  const caps = effectiveCapabilities(input);
  const userMounts = input.mounts.map(userMount);
  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: input.tty,
      ...(input.tty && input.consoleSize ? { consoleSize: { ...input.consoleSize } } : {}),
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: [...input.user.additionalGids] },
      args: [...input.args],
      env: processEnv(input),
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      ...(input.noNewPrivileges ? { noNewPrivileges: true } : {}),
      ...(input.oomScoreAdj === undefined ? {} : { oomScoreAdj: input.oomScoreAdj }),
    },
    root: { path: input.rootfs, readonly: input.readOnlyRootfs },
    hostname: input.hostname,
    mounts: mergeMounts([...systemMounts(input.privileged), ...etcFileMounts(input)], userMounts),
    linux: {
      namespaces: namespaces(input.network),
      resources: resources(input.resources, input.privileged),
      cgroupsPath: input.cgroupsPath,
      sysctl: sysctls(input),
      ...(input.privileged
        ? {}
        : { maskedPaths: [...defaultMaskedPaths], readonlyPaths: [...defaultReadonlyPaths] }),
      ...(input.privileged || input.seccomp === 'unconfined' ? {} : { seccomp: defaultSeccompProfile(caps) }),
    },
  };
  if (input.annotations) spec.annotations = { ...input.annotations };
  return spec;
}
