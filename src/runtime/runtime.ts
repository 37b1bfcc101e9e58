/**
 * The runtime role: takes a bundle (rootfs + OCI runtime spec) and runs it. The default implementation
 * drives runc under conmon, so a container's process, its logs and its exit code are kept by conmon and
 * outlive a restart of marinad. Other runtimes (WASI, sandboxes) implement the same interface.
 */
import type { Readable, Writable } from 'node:stream';
import type { OciSpec } from './oci-spec.ts';

export type StdStream = 'stdin' | 'stdout' | 'stderr';

/** Output of a container or exec session, as ordered frames, plus its input when it has one. */
export interface StdioSession {
  /** Object-mode stream of `OutputFrame`; ends when the process's output ends. */
  readonly output: Readable;
  /** Present when the process was created with stdin open. Ending it closes the process's stdin. */
  readonly input: Writable | undefined;
  close(): void;
}

export interface OutputFrame {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface TerminalSize {
  height: number;
  width: number;
}

export interface RuntimeCreateOptions {
  id: string;
  /** Directory that holds config.json and the monitor's files (pid file, attach socket, ctl fifo). */
  bundleDir: string;
  spec: OciSpec;
  tty: boolean;
  /** Keep the process's stdin open for attach (`-i`). */
  openStdin: boolean;
  /** With openStdin: an attached client that leaves does not close the process's stdin (Docker's StdinOnce unset). */
  leaveStdinOpen?: boolean;
  /** k8s-file formatted log conmon writes; see engine/logs for the reader and rotation. */
  logPath: string;
  /** Hard upper bound conmon enforces even while marinad is down (bytes). */
  logSizeMax: number;
}

export type RuntimeStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface RuntimeState {
  id: string;
  status: RuntimeStatus;
  /** Container init pid (0 when stopped). */
  pid: number;
  /** conmon's pid, 0 when unknown. */
  monitorPid: number;
}

export interface ExecOptions {
  execId: string;
  args: string[];
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  tty: boolean;
  openStdin: boolean;
  consoleSize?: TerminalSize;
  privileged?: boolean;
}

export interface ExecProcess {
  readonly execId: string;
  readonly stdio: StdioSession;
  /** Resolves with the exit code once the exec'd process has exited. */
  wait(): Promise<number>;
  resize(size: TerminalSize): Promise<void>;
}

export interface Runtime {
  readonly name: string;
  /** Creates the container (its init process waits for `start`); resolves with the init pid. */
  create(options: RuntimeCreateOptions): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  /** Sends a signal (`SIGTERM`, `9`, `KILL`…) to the init process, or to all processes with `all`. */
  kill(id: string, signal: string, options?: { all?: boolean }): Promise<void>;
  /** Deletes the runtime's state of a stopped container (or any, with `force`); no-op if unknown. */
  delete(id: string, options?: { force?: boolean }): Promise<void>;
  /** Runtime's view of the container, `undefined` when it does not know it. */
  state(id: string): Promise<RuntimeState | undefined>;
  /** Exit code recorded by the monitor, `undefined` while the container has not exited. */
  exitCode(id: string): Promise<number | undefined>;
  /** Called with the id of every container that exits, from now on. Returns the unsubscribe function. */
  onExit(listener: (id: string) => void): () => void;
  /** Ids of containers the runtime holds state for (for reconciliation at start). */
  list(): Promise<string[]>;
  /** Connects to the running container's stdio. */
  attach(id: string, options: { stdin: boolean }): Promise<StdioSession>;
  resize(id: string, size: TerminalSize): Promise<void>;
  /** Asks the monitor to reopen the log file (after marinad rotated it). */
  reopenLog(id: string): Promise<void>;
  exec(id: string, bundleDir: string, options: ExecOptions): Promise<ExecProcess>;
  /** Releases watchers; running containers are left running. */
  close(): Promise<void>;
}

export type { Readable, Writable };
