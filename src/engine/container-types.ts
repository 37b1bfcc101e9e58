/**
 * The container model shared by the engine, the native API and the CLI (and, translated, by the Docker
 * API compat layer). A request says what the user asked for; a record adds what the engine decided and
 * observed.
 */
import type { EndpointRecord, PortBinding, PortRequest } from '../network/network-types.ts';
import type { InterfaceCounters } from './host-stats.ts';

export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface RestartPolicy {
  name: RestartPolicyName;
  /** Only for `on-failure`: give up after this many restarts (0 = never give up). */
  maximumRetryCount?: number;
}

/** What the engine does when a container turns unhealthy: Podman's `--health-on-failure`. */
export type HealthOnFailure = 'none' | 'kill' | 'restart' | 'stop';

/** `healthcheck` of a create request: overrides the image's HEALTHCHECK field by field (absent or 0 keeps the image's value). */
export interface HealthcheckRequest {
  /** `["CMD", prog, arg…]`, `["CMD-SHELL", "command"]`, `["NONE"]` (no healthcheck at all) or `[]` (the image's test). */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  retries?: number;
  /** Default `restart`; `none` only marks the container unhealthy, as Docker does. */
  onFailure?: HealthOnFailure;
}

/** The healthcheck in effect (image and request merged, defaults applied), decided at create. */
export interface HealthcheckConfig {
  /** The argv each probe runs (`CMD-SHELL` already wrapped in the image's shell). */
  command: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
  onFailure: HealthOnFailure;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe, as Docker's `State.Health.Log` shows it. */
export interface HealthProbeResult {
  start: string;
  end: string;
  /** 0 healthy; anything else (-1 when it timed out or could not run) a failure. */
  exitCode: number;
  /** stdout and stderr together, at most 4 KiB. */
  output: string;
}

export interface ContainerHealth {
  status: HealthStatus;
  /** Consecutive failures that counted (failures in the start period do not). */
  failingStreak: number;
  /** The last 5 probes, oldest first. */
  log: HealthProbeResult[];
}

export type MountRequest =
  /** `-v /host/path:/ctr/path[:ro]` */
  | { type: 'bind'; source: string; target: string; readOnly?: boolean }
  /** `-v name:/ctr/path[:ro]` (created on first use) or `-v /ctr/path` (anonymous, name omitted) */
  | { type: 'volume'; name?: string; target: string; readOnly?: boolean }
  /** `--tmpfs /path[:size=64m,mode=1777]` */
  | { type: 'tmpfs'; target: string; sizeBytes?: number; mode?: number };

export interface ContainerResources {
  memoryBytes?: number;
  nanoCpus?: number;
  pidsLimit?: number;
}

/** Body of `POST /v1/containers`: what the user asked for. Unset fields come from the image. */
export interface ContainerCreateRequest {
  image: string;
  name?: string;
  /** Replaces the image's Cmd. */
  cmd?: string[];
  /** Replaces the image's Entrypoint; `[]` clears it (as `--entrypoint ''`). Setting it also clears the image's Cmd. */
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  tty?: boolean;
  openStdin?: boolean;
  /** Close stdin after the first attached client detaches (`docker run -i` semantics). */
  stdinOnce?: boolean;
  labels?: Record<string, string>;
  mounts?: MountRequest[];
  readOnlyRootfs?: boolean;
  resources?: ContainerResources;
  restartPolicy?: RestartPolicy;
  autoRemove?: boolean;
  stopSignal?: string;
  /** Seconds between the stop signal and SIGKILL (default 10). */
  stopTimeout?: number;
  /**
   * `bridge` (the default network, the default), a user network's name, `none` (loopback only), `host`, or
   * `container:NAME|ID` (that running container's network namespace, hostname and /etc files).
   */
  networkMode?: string;
  /**
   * A pod sandbox's id (SandboxService): the container joins its network namespace and uses its hostname
   * and /etc files; it gets no endpoint or ports of its own, so networkMode, ports, aliases, dns, extra
   * hosts and hostname are refused with it.
   */
  sandbox?: string;
  /** More names this container answers to on its user network (`--network-alias`). */
  networkAliases?: string[];
  /** Published ports (`-p`). */
  ports?: PortRequest[];
  /** Publish every port the image exposes on an ephemeral host port (`-P`). */
  publishAll?: boolean;
  /** Ports the container declares beyond the image's (`--expose`), as `80/tcp`; shown by inspect. */
  exposedPorts?: string[];
  /** Extra /etc/hosts lines as `host:ip` (`--add-host`). */
  extraHosts?: string[];
  /** Nameservers for resolv.conf instead of the network's (`--dns`). */
  dns?: string[];
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  securityOpt?: { noNewPrivileges?: boolean; seccomp?: 'default' | 'unconfined' };
  consoleSize?: { height: number; width: number };
  healthcheck?: HealthcheckRequest;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  status: ContainerStatus;
  running: boolean;
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  /** Why the last start failed, or why the container is dead. */
  error: string;
  startedAt: string;
  finishedAt: string;
  restartCount: number;
  /** Present once a container with a healthcheck has started. */
  health?: ContainerHealth;
}

export interface ContainerMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Volume name for volumes. */
  name?: string;
  /** Host path (bind source or the volume's data directory). */
  source: string;
  target: string;
  readOnly: boolean;
}

/** What `inspect` returns. */
export interface ContainerRecord {
  /** 64 hex characters, like Docker's. */
  id: string;
  name: string;
  created: string;
  /** The reference as the user gave it. */
  image: string;
  /** Image ID (config digest) resolved at create. */
  imageId: string;
  /** The request, as accepted. */
  request: ContainerCreateRequest;
  /** The effective process: image config merged with the request. */
  path: string;
  args: string[];
  env: string[];
  workingDir: string;
  user: string;
  hostname: string;
  mounts: ContainerMount[];
  /** The container's endpoints while it runs (empty otherwise). */
  networks: EndpointRecord[];
  /** Its published ports while it runs (empty otherwise). */
  ports: PortBinding[];
  /** Absent when neither the image nor the request has one (or the request said `NONE`). */
  healthcheck?: HealthcheckConfig;
  state: ContainerState;
  logPath: string;
}

/** One line of `ps`. */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  imageId: string;
  command: string;
  created: string;
  status: ContainerStatus;
  /** Human status like Docker's: `Up 3 minutes`, `Exited (0) 2 seconds ago`. */
  statusText: string;
  labels: Record<string, string>;
  ports: PortBinding[];
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface LogOptions {
  follow?: boolean;
  /** RFC 3339 time or unix seconds: only entries at or after it. */
  since?: string;
  until?: string;
  /** Only the last N entries (before following). */
  tail?: number;
  stdout?: boolean;
  stderr?: boolean;
}

export interface LogEntry {
  time: string;
  stream: 'stdout' | 'stderr';
  /** Bytes of the line, with its newline if the line was complete. */
  data: Buffer;
}

export interface ContainerStats {
  id: string;
  name: string;
  read: string;
  cpu: { totalUsageNs: number; systemUsageNs: number; onlineCpus: number };
  /** limitBytes 0 when unlimited; inactiveFileBytes is what `docker stats` leaves out of the usage. */
  memory: { usageBytes: number; limitBytes: number; cacheBytes: number; inactiveFileBytes: number };
  pids: { current: number; limit: number };
  /** Per interface of its network namespace (loopback left out). */
  networks: InterfaceCounters[];
}

export interface ExecCreateRequest {
  cmd: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  tty?: boolean;
  attachStdin?: boolean;
  privileged?: boolean;
  consoleSize?: { height: number; width: number };
}

export interface ExecRecord {
  id: string;
  containerId: string;
  request: ExecCreateRequest;
  running: boolean;
  exitCode: number | null;
}

export type EngineEventType = 'container' | 'image' | 'volume' | 'network';

export interface EngineEvent {
  type: EngineEventType;
  /** create, start, die, stop, kill, restart, destroy, oom, `health_status: healthy|unhealthy`, exec_create, exec_start, exec_die, pull, tag, untag, delete, load, import… */
  action: string;
  actor: { id: string; attributes: Record<string, string> };
  /** Nanoseconds since the epoch. */
  timeNano: bigint;
}

/** `top`: ps's column titles and, per process of the container, its columns. */
export interface ProcessTable {
  titles: string[];
  processes: string[][];
}

/** What is at a path inside a container (`cp`, the archive endpoints); a final symlink is not followed. */
export interface PathStat {
  /** The last component of the path (`/` for the root). */
  name: string;
  size: number;
  /** st_mode: the file type bits and the permission bits. */
  mode: number;
  /** RFC 3339. */
  mtime: string;
  /** For a symlink, the path it points to inside the container (else empty). */
  linkTarget: string;
}

export interface ExtractOptions {
  /** Keep the archive's owners (`cp -a`); by default entries belong to the container's root. */
  keepOwners?: boolean;
}
