/** Docker's shapes for exec inspect, stats and the archive stat header, from the engine's records. */
import type { ContainerStats, ExecCreateRequest, ExecRecord, PathStat } from '../../engine/container-types.ts';
import { invalid } from '../../errors.ts';

/** Docker's exec create body → the engine's request (attach flags of stdout/stderr: output is always attached). */
export function execCreateOf(body: unknown): ExecCreateRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const cmd = b.Cmd;
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((a) => typeof a !== 'string')) {
    throw invalid('No exec command specified: give Cmd as a list of strings, e.g. ["sh", "-c", "echo hi"]');
  }
  const strings = (value: unknown, field: string): string[] | undefined => {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(`${field} must be a list of strings`);
    return value as string[];
  };
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const size = Array.isArray(b.ConsoleSize) && b.ConsoleSize.length === 2 ? (b.ConsoleSize as number[]) : undefined;
  return {
    cmd: cmd as string[],
    env: strings(b.Env, 'Env'),
    workingDir: text(b.WorkingDir),
    user: text(b.User),
    tty: b.Tty === true,
    attachStdin: b.AttachStdin === true,
    privileged: b.Privileged === true,
    consoleSize: size && size[0]! > 0 && size[1]! > 0 ? { height: size[0]!, width: size[1]! } : undefined,
  };
}

export function execInspectJson(exec: ExecRecord) {
  const { request } = exec;
  return {
    ID: exec.id,
    Running: exec.running,
    ExitCode: exec.exitCode,
    Pid: 0,
    ContainerID: exec.containerId,
    CanRemove: false,
    DetachKeys: '',
    OpenStdin: !!request.attachStdin,
    OpenStdout: true,
    OpenStderr: true,
    ProcessConfig: {
      entrypoint: request.cmd[0],
      arguments: request.cmd.slice(1),
      tty: !!request.tty,
      user: request.user ?? '',
      privileged: !!request.privileged,
    },
  };
}

/** Go's zero time: Docker's `preread` when there is no earlier sample. */
const zeroTime = '0001-01-01T00:00:00Z';

function cpuStatsJson(stats: ContainerStats | undefined) {
  return {
    cpu_usage: { total_usage: stats?.cpu.totalUsageNs ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: stats?.cpu.systemUsageNs ?? 0,
    online_cpus: stats?.cpu.onlineCpus ?? 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/**
 * One `GET /containers/{id}/stats` object. `previous` (the sample a second earlier) gives precpu_stats,
 * from which clients compute the CPU percentage. An unlimited container reports the host's memory as
 * its limit, as Docker does.
 */
export function dockerStatsJson(current: ContainerStats, previous: ContainerStats | undefined, hostMemoryBytes: number) {
  const { memory } = current;
  return {
    read: current.read,
    preread: previous?.read ?? zeroTime,
    id: current.id,
    name: `/${current.name}`,
    pids_stats: { current: current.pids.current, ...(current.pids.limit > 0 ? { limit: current.pids.limit } : {}) },
    blkio_stats: {
      io_service_bytes_recursive: null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStatsJson(current),
    precpu_stats: cpuStatsJson(previous),
    memory_stats: {
      usage: memory.usageBytes,
      limit: memory.limitBytes > 0 ? memory.limitBytes : hostMemoryBytes,
      stats: { cache: memory.cacheBytes, inactive_file: memory.inactiveFileBytes },
    },
    networks: Object.fromEntries(
      current.networks.map((n) => [
        n.interface,
        { rx_bytes: n.rxBytes, rx_packets: n.rxPackets, rx_errors: 0, rx_dropped: 0, tx_bytes: n.txBytes, tx_packets: n.txPackets, tx_errors: 0, tx_dropped: 0 },
      ]),
    ),
  };
}

/** The zeroed stats Docker reports for a container that is not running. */
export function stoppedStats(id: string, name: string): ContainerStats {
  return {
    id,
    name,
    read: zeroTime,
    cpu: { totalUsageNs: 0, systemUsageNs: 0, onlineCpus: 0 },
    memory: { usageBytes: 0, limitBytes: 0, cacheBytes: 0, inactiveFileBytes: 0 },
    pids: { current: 0, limit: 0 },
    networks: [],
  };
}

// Go's os.FileMode type bits, which the docker CLI decodes the stat header's `mode` as.
const goModeDir = 2 ** 31;
const goModeSymlink = 2 ** 27;
const goModeDevice = 2 ** 26;
const goModeNamedPipe = 2 ** 25;
const goModeSocket = 2 ** 24;
const goModeSetuid = 2 ** 23;
const goModeSetgid = 2 ** 22;
const goModeCharDevice = 2 ** 21;
const goModeSticky = 2 ** 20;

/** A Unix st_mode as Go's os.FileMode (type and special bits in the high bits, permissions below). */
export function goFileMode(stMode: number): number {
  let mode = stMode & 0o777;
  const type = stMode & 0o170000;
  if (type === 0o040000) mode += goModeDir;
  else if (type === 0o120000) mode += goModeSymlink;
  else if (type === 0o060000) mode += goModeDevice;
  else if (type === 0o020000) mode += goModeDevice + goModeCharDevice;
  else if (type === 0o010000) mode += goModeNamedPipe;
  else if (type === 0o140000) mode += goModeSocket;
  if (stMode & 0o4000) mode += goModeSetuid;
  if (stMode & 0o2000) mode += goModeSetgid;
  if (stMode & 0o1000) mode += goModeSticky;
  return mode;
}

/** The `X-Docker-Container-Path-Stat` header: base64 of Docker's ContainerPathStat JSON. */
export function pathStatHeader(stat: PathStat): string {
  const json = { name: stat.name, size: stat.size, mode: goFileMode(stat.mode), mtime: stat.mtime, linkTarget: stat.linkTarget };
  return Buffer.from(JSON.stringify(json)).toString('base64');
}
