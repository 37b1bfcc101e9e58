/**
 * The engine's service roles, as the API layer (native and Docker-compatible) calls them. Handlers
 * decode a request, call one of these, and encode the result; no behaviour lives in the handlers.
 * Every method throws MarinaError with a stable code on bad input, and bad input changes nothing.
 */
import type { Readable, Writable } from 'node:stream';
import type { ImageService } from '../image/image-service.ts';
import type { NetworkService } from '../network/network-service.ts';
import type { VolumeService } from '../volume/volume-service.ts';
import type { DiskUsageService } from './disk-usage.ts';
import type { OutputFrame, TerminalSize } from '../runtime/runtime.ts';
import type {
  ContainerCreateRequest,
  ContainerRecord,
  ContainerStats,
  ContainerSummary,
  EngineEvent,
  ExecCreateRequest,
  ExecRecord,
  ExtractOptions,
  LogEntry,
  LogOptions,
  PathStat,
  ProcessTable,
  WaitCondition,
} from './container-types.ts';
import type { SandboxCreateRequest, SandboxRecord } from './sandbox-types.ts';

/** A live connection to a container's or exec's stdio. */
export interface AttachedStdio {
  /** Object-mode stream of OutputFrame; ends when the process's output ends. */
  readonly output: Readable;
  /** Present when stdin was requested and the process keeps stdin open. */
  readonly input: Writable | undefined;
  readonly tty: boolean;
  close(): void;
}

export interface ContainerListOptions {
  /** Stopped containers too (default: running, restarting and paused ones only). */
  all?: boolean;
  /** Only the containers carrying every one of these labels with these values (found through an index, not a scan). */
  labels?: Record<string, string>;
}

export interface ContainerService {
  create(request: ContainerCreateRequest): Promise<ContainerRecord>;
  /** `NotModified` when already running. */
  start(idOrName: string): Promise<void>;
  /** Stop signal, then SIGKILL after `timeoutSeconds` (default: the container's stopTimeout or 10). */
  stop(idOrName: string, options?: { timeoutSeconds?: number; signal?: string }): Promise<void>;
  /** `Conflict` when not running. */
  kill(idOrName: string, signal?: string): Promise<void>;
  restart(idOrName: string, options?: { timeoutSeconds?: number }): Promise<void>;
  /** `Conflict` when running without `force`. */
  remove(idOrName: string, options?: { force?: boolean; removeVolumes?: boolean }): Promise<void>;
  /** Resolves with the exit code when the condition is met. */
  wait(idOrName: string, condition?: WaitCondition, signal?: AbortSignal): Promise<{ exitCode: number }>;
  list(options?: ContainerListOptions): Promise<ContainerSummary[]>;
  inspect(idOrName: string): Promise<ContainerRecord>;
  /** Log entries in order; with `follow`, keeps yielding until the container stops or `signal` aborts. */
  logs(idOrName: string, options: LogOptions, signal?: AbortSignal): AsyncIterable<LogEntry>;
  /** Attach to a created or running container; attach before `start` to miss no output. */
  attach(idOrName: string, options: { stdin: boolean }): Promise<AttachedStdio>;
  resize(idOrName: string, size: TerminalSize): Promise<void>;
  stats(idOrName: string): Promise<ContainerStats>;
  /** `network connect`: joins at once when running, and at every start from now on. */
  connectNetwork(idOrName: string, network: string, aliases?: string[]): Promise<void>;
  /** `network disconnect` from a network joined with connectNetwork. */
  disconnectNetwork(idOrName: string, network: string): Promise<void>;
  /** `Conflict` (Docker's wording) when another container holds `name`. Running containers keep their DNS names until restarted. */
  rename(idOrName: string, name: string): Promise<void>;
  /** The processes of a running container, as the host's `ps` with `psArgs` (default `-ef`) shows them. */
  top(idOrName: string, psArgs?: string): Promise<ProcessTable>;
  /** What is at `path` in the container (running or not); `NotFound` when nothing is. */
  statPath(idOrName: string, path: string): Promise<PathStat>;
  /** A tar of `path` in the container: one entry named after it (with everything below it for a directory). */
  archive(idOrName: string, path: string): Promise<{ stat: PathStat; tar: Readable }>;
  /** Unpacks the tar stream `archive` into the existing directory `path` of the container (running or not). */
  extractArchive(idOrName: string, path: string, archive: Readable, options?: ExtractOptions): Promise<void>;
  /** Removes all stopped containers; returns their ids. */
  prune(): Promise<string[]>;
}

export interface ExecService {
  create(containerIdOrName: string, request: ExecCreateRequest): Promise<ExecRecord>;
  start(execId: string): Promise<AttachedStdio>;
  inspect(execId: string): Promise<ExecRecord>;
  resize(execId: string, size: TerminalSize): Promise<void>;
}

/** Pod sandboxes (pod-sandbox.ts): network namespaces that containers join with `ContainerCreateRequest.sandbox`. */
export interface SandboxService {
  /** `NotFound` for an unknown network, `Conflict` for a taken id or host port; undoes everything on failure. */
  create(request: SandboxCreateRequest): Promise<SandboxRecord>;
  /** `Conflict` naming its containers while it has some, unless `force` (then they are removed first). */
  remove(id: string, options?: { force?: boolean }): Promise<void>;
  inspect(id: string): Promise<SandboxRecord>;
  /** With `labels`, only the sandboxes carrying every one of them (found through an index, not a scan). */
  list(options?: { labels?: Record<string, string> }): Promise<SandboxRecord[]>;
}

export interface EventSource {
  /** Past events at or after `since` (from the in-memory history), then live ones until `signal` aborts. */
  subscribe(options: { since?: bigint; filter?: (e: EngineEvent) => boolean }, signal: AbortSignal): AsyncIterable<EngineEvent>;
}

export interface SystemInfo {
  version: string;
  root: string;
  containers: { total: number; running: number; stopped: number };
  images: number;
  runtime: string;
  cgroupVersion: '1' | '2';
  kernel: string;
  os: string;
  arch: string;
  cpus: number;
  memoryBytes: number;
}

/** Everything the API layer needs, in one object. */
export interface Engine {
  containers: ContainerService;
  execs: ExecService;
  images: ImageService;
  volumes: VolumeService;
  networks: NetworkService;
  sandboxes: SandboxService;
  events: EventSource;
  /** Bytes on disk of containers' writable layers and volumes' data (`system df`). */
  diskUsage: DiskUsageService;
  info(): Promise<SystemInfo>;
}

export type { ImageService, NetworkService, OutputFrame, VolumeService };
