/**
 * The default Runtime: runc supervised by one conmon per container (and per exec session). conmon holds
 * the process's stdio, writes the k8s-file log and the exit code, and outlives marinad; marinad talks to
 * it through the sync/start pipes at launch, the attach socket (via marina-attach), the ctl fifo and
 * the exit files. Protocol: /work/shared/reference/docker-api-and-conmon.md §3.2.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, type FSWatcher, mkdirSync, watch } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { MarinaError } from '../../errors.ts';
import type { OciSpec } from '../oci-spec.ts';
import type {
  ExecOptions,
  ExecProcess,
  Runtime,
  RuntimeCreateOptions,
  RuntimeState,
  StdioSession,
  TerminalSize,
} from '../runtime.ts';
import { openAttachSession } from './attach-session.ts';
import { type ConmonPaths, createArgs, execArgs, execDir, monitorFiles } from './conmon-args.ts';
import { reopenLogMessage, resizeMessage, writeCtl } from './ctl-fifo.ts';
import { execProcessSpec } from './exec-spec.ts';
import { Runc } from './runc.ts';
import { parseSyncMessages, type SyncMessage, startFailure } from './sync-pipe.ts';

export interface ConmonRuntimeOptions {
  /** runc's state directory (`runc --root`). */
  root: string;
  /** Where conmon writes `<id>` with the exit code of each container. */
  exitDir: string;
  runcPath: string;
  conmonPath: string;
  /** The compiled marina-attach helper. */
  attachHelperPath: string;
}

/** A conmon being launched: its sync pipe as a line reader and its start pipe. */
interface LaunchingMonitor {
  launcher: ChildProcess;
  nextSync(): Promise<SyncMessage | undefined>;
  nextAttachReady(): Promise<SyncMessage | undefined>;
  signalStart(): void;
  release(): void;
}

function lineReader(stream: Readable): () => Promise<SyncMessage | undefined> {
  const lines = createInterface({ input: stream })[Symbol.asyncIterator]();
  return async () => {
    const { value, done } = await lines.next();
    return done ? undefined : parseSyncMessages(value)[0];
  };
}

function launchMonitor(conmonPath: string, args: string[], dir: string, withAttachPipe: boolean): LaunchingMonitor {
  const launcher = spawn(conmonPath, args, {
    // conmon writes relative files there (an `oom` marker when the memory cgroup kills the container).
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', ...(withAttachPipe ? (['pipe'] as const) : [])],
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      _OCI_SYNCPIPE: '3',
      _OCI_STARTPIPE: '4',
      ...(withAttachPipe ? { _OCI_ATTACHPIPE: '5' } : {}),
    },
    // conmon must not share marinad's process group: a Ctrl-C to marinad is not meant for containers.
    detached: true,
  });
  launcher.unref();
  let stderr = '';
  launcher.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const pipes = launcher.stdio.slice(3) as (Readable & Writable)[];
  for (const pipe of pipes) pipe.on('error', () => {});
  const [syncPipe, startPipe, attachPipe] = pipes;
  const readSync = lineReader(syncPipe as Readable);
  const readAttach = attachPipe ? lineReader(attachPipe) : async () => undefined;
  const failIfClosed = (read: () => Promise<SyncMessage | undefined>) => async () => {
    const message = await read();
    if (message === undefined && stderr.trim() !== '') {
      throw new MarinaError('Internal', `conmon failed: ${stderr.trim()}`);
    }
    return message;
  };
  return {
    launcher,
    nextSync: failIfClosed(readSync),
    nextAttachReady: failIfClosed(readAttach),
    signalStart: () => (startPipe as Writable).write('s'),
    release: () => {
      for (const pipe of pipes) pipe.destroy();
      launcher.stderr?.destroy();
    },
  };
}

/** conmon runs the runtime by path, so a bare name (`runc`) is looked up in PATH here. */
function resolveExecutable(name: string): string {
  if (isAbsolute(name) || name.includes('/')) return name;
  const dirs = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new MarinaError('Unavailable', `${name} was not found in PATH: install it or give its full path`);
}

async function readExitFile(path: string): Promise<number | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^-?\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

async function readPidFile(path: string): Promise<number> {
  try {
    return Number((await readFile(path, 'utf8')).trim()) || 0;
  } catch {
    return 0;
  }
}

export class ConmonRuntime implements Runtime {
  readonly name = 'runc';
  private readonly options: ConmonRuntimeOptions;
  private readonly paths: ConmonPaths;
  private readonly runc: Runc;
  private readonly bundles = new Map<string, string>();
  private readonly exitListeners = new Set<(id: string) => void>();
  private readonly reportedExits = new Set<string>();
  private watcher: FSWatcher | undefined;
  private sharedDirsMade: Promise<unknown> | undefined;

  constructor(options: ConmonRuntimeOptions) {
    const runcPath = resolveExecutable(options.runcPath);
    this.options = { ...options, runcPath, conmonPath: resolveExecutable(options.conmonPath) };
    this.paths = { conmonPath: this.options.conmonPath, runcPath, runcRoot: options.root };
    this.runc = new Runc(runcPath, options.root);
  }

  async create(options: RuntimeCreateOptions): Promise<{ pid: number }> {
    const files = monitorFiles(options.bundleDir);
    // conmon gives up before writing the exit-dir file when its persist dir is missing.
    await Promise.all([mkdir(files.persistDir, { recursive: true }), this.sharedDirs()]);
    // A restarted container reuses its id and bundle: a previous run's exit code must not be read as this one's.
    await Promise.all([rm(join(this.options.exitDir, options.id), { force: true }), rm(join(files.persistDir, 'exit'), { force: true })]);
    this.reportedExits.delete(options.id);
    await writeFile(join(options.bundleDir, 'config.json'), JSON.stringify(options.spec));
    this.bundles.set(options.id, options.bundleDir);
    const monitor = launchMonitor(
      this.options.conmonPath,
      createArgs(this.paths, { ...options, exitDir: this.options.exitDir }),
      options.bundleDir,
      false,
    );
    try {
      monitor.signalStart();
      const message = await monitor.nextSync();
      if (message === undefined) throw new MarinaError('Internal', `conmon for ${options.id} exited without reporting the container's pid`);
      if (message.data < 0) {
        await this.runc.delete(options.id, true).catch(() => {});
        throw startFailure(message.message ?? 'unknown error');
      }
      return { pid: message.data };
    } finally {
      monitor.release();
    }
  }

  /** The exit and runc state directories every container shares: made once, not at each create (a retry after a failure). */
  private sharedDirs(): Promise<unknown> {
    this.sharedDirsMade ??= Promise.all([
      mkdir(this.options.exitDir, { recursive: true }),
      mkdir(this.options.root, { recursive: true }),
    ]).catch((err: unknown) => {
      this.sharedDirsMade = undefined;
      throw err;
    });
    return this.sharedDirsMade;
  }

  async start(id: string): Promise<void> {
    await this.runc.start(id);
  }

  async kill(id: string, signal: string, options?: { all?: boolean }): Promise<void> {
    await this.runc.kill(id, signal, options?.all ?? false);
  }

  async delete(id: string, options?: { force?: boolean }): Promise<void> {
    await this.runc.delete(id, options?.force ?? false);
    this.bundles.delete(id);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const state = await this.runc.state(id);
    if (!state) return undefined;
    return {
      id: state.id,
      status: state.status,
      pid: state.status === 'stopped' ? 0 : state.pid,
      monitorPid: await readPidFile(monitorFiles(state.bundle).conmonPidFile),
    };
  }

  async exitCode(id: string): Promise<number | undefined> {
    const fromExitDir = await readExitFile(join(this.options.exitDir, id));
    if (fromExitDir !== undefined) return fromExitDir;
    const bundle = this.bundles.get(id) ?? (await this.runc.state(id))?.bundle;
    return bundle === undefined ? undefined : readExitFile(join(monitorFiles(bundle).persistDir, 'exit'));
  }

  onExit(listener: (id: string) => void): () => void {
    this.exitListeners.add(listener);
    this.watchExits();
    return () => {
      this.exitListeners.delete(listener);
    };
  }

  private watchExits(): void {
    if (this.watcher) return;
    const exitDir = this.options.exitDir;
    mkdirSync(exitDir, { recursive: true });
    this.watcher = watch(exitDir, { persistent: false }, (_event, filename) => {
      if (!filename) return;
      void this.reportExit(filename.toString());
    });
    this.watcher.on('error', () => {});
  }

  private async reportExit(id: string): Promise<void> {
    // conmon's write shows up as several events; report once, when the code is readable.
    if (this.reportedExits.has(id) || (await readExitFile(join(this.options.exitDir, id))) === undefined) return;
    if (this.reportedExits.has(id)) return; // another event's read finished first
    this.reportedExits.add(id);
    for (const listener of this.exitListeners) listener(id);
  }

  async list(): Promise<string[]> {
    return (await this.runc.list()).map((state) => state.id);
  }

  private async bundleOf(id: string): Promise<string> {
    const bundle = this.bundles.get(id) ?? (await this.runc.state(id))?.bundle;
    if (bundle === undefined) throw new MarinaError('NotFound', `no container ${id} in the runtime; was it created?`);
    return bundle;
  }

  async attach(id: string, options: { stdin: boolean }): Promise<StdioSession> {
    return openAttachSession(this.options.attachHelperPath, monitorFiles(await this.bundleOf(id)).attachSocket, options);
  }

  async resize(id: string, size: TerminalSize): Promise<void> {
    await writeCtl(monitorFiles(await this.bundleOf(id)).ctlFifo, resizeMessage(size));
  }

  async reopenLog(id: string): Promise<void> {
    await writeCtl(monitorFiles(await this.bundleOf(id)).ctlFifo, reopenLogMessage);
  }

  async exec(id: string, bundleDir: string, options: ExecOptions): Promise<ExecProcess> {
    const dir = execDir(bundleDir, options.execId);
    const files = monitorFiles(dir);
    const container = JSON.parse(await readFile(join(bundleDir, 'config.json'), 'utf8')) as OciSpec;
    await mkdir(files.persistDir, { recursive: true });
    const processSpecPath = join(dir, 'process.json');
    await writeFile(processSpecPath, JSON.stringify(execProcessSpec(container.process, options)));
    const monitor = launchMonitor(
      this.options.conmonPath,
      execArgs(this.paths, { containerId: id, execId: options.execId, dir, processSpecPath, tty: options.tty, openStdin: options.openStdin }),
      dir,
      true,
    );
    let stdio: StdioSession | undefined;
    try {
      // conmon waits on the start pipe twice in exec-attach mode: before it sets up the attach socket,
      // and before it runs `runc exec`, so the session is connected before the first byte of output.
      monitor.signalStart();
      const ready = await monitor.nextAttachReady();
      if (ready === undefined || ready.data < 0) {
        throw new MarinaError('Internal', `conmon could not prepare the exec session: ${ready?.message ?? 'no answer'}`);
      }
      stdio = await openAttachSession(this.options.attachHelperPath, files.attachSocket, { stdin: options.openStdin });
      monitor.signalStart();
      const started = await monitor.nextSync();
      if (started === undefined) throw new MarinaError('Internal', `conmon for exec ${options.execId} exited without reporting a pid`);
      if (started.data < 0) throw startFailure(started.message ?? 'unknown error');
    } catch (err) {
      stdio?.close();
      monitor.release();
      throw err;
    }
    const exited = monitor
      .nextSync()
      .catch(() => undefined)
      .then(async (message) => message?.data ?? (await readExitFile(join(files.persistDir, 'exit'))) ?? -1)
      .finally(async () => {
        monitor.release();
        // The code is read: the session's files (spec, sockets, exit files) would only pile up, one set
        // per exec and per health probe, for as long as the container lives.
        await rm(dir, { recursive: true, force: true });
      });
    return {
      execId: options.execId,
      stdio,
      wait: () => exited,
      resize: (size) => writeCtl(files.ctlFifo, resizeMessage(size)),
    };
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    this.exitListeners.clear();
  }
}
