/**
 * `exec`: runs another process in a running container, through the runtime (conmon's exec mode), with
 * Docker's semantics: created (checked, nothing runs), started once, inspected for its exit code.
 * Records live in memory only, as Docker's do: an exec does not outlive its container or marinad, and a
 * finished one is dropped after a while.
 */
import { PassThrough } from 'node:stream';
import { conflict, invalid, isMarinaError, notFound } from '../errors.ts';
import { generateId } from '../ids.ts';
import type { ExecProcess, Runtime, TerminalSize } from '../runtime/runtime.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import type { ContainerStore } from './container-store.ts';
import type { EngineEvent, ExecCreateRequest, ExecRecord } from './container-types.ts';
import { engineEvent } from './events.ts';
import { userInRootfs } from './rootfs-user.ts';
import { bundleDir } from './layout.ts';
import type { AttachedStdio, ExecService } from './services.ts';

/** How long a finished exec stays inspectable (clients read its exit code after the stream ends). */
const keepFinishedMs = 5 * 60 * 1000;
/** Docker's exit code for a command that could not be run, when the runtime does not report one. */
const cannotRunExitCode = 126;

interface ExecEntry {
  record: ExecRecord;
  /** Set synchronously by `start`, so two concurrent starts cannot both run the command. */
  started: boolean;
  process: ExecProcess | undefined;
  dropTimer: NodeJS.Timeout | undefined;
}

export interface ExecServiceDeps {
  root: string;
  store: ContainerStore;
  runtime: Runtime;
  snapshotter: Snapshotter;
  emit(event: EngineEvent): void;
}

export class ExecServiceImpl implements ExecService {
  private readonly deps: ExecServiceDeps;
  private readonly execs = new Map<string, ExecEntry>();

  constructor(deps: ExecServiceDeps) {
    this.deps = deps;
  }

  async create(containerIdOrName: string, request: ExecCreateRequest): Promise<ExecRecord> {
    if (!Array.isArray(request.cmd) || request.cmd.length === 0 || request.cmd.some((a) => typeof a !== 'string')) {
      throw invalid('exec needs a command: give at least the program to run, e.g. ["sh", "-c", "echo hi"]');
    }
    const container = this.deps.store.find(containerIdOrName).record;
    if (!container.state.running) throw conflict(`Container ${container.id} is not running`);
    const record: ExecRecord = {
      id: generateId(),
      containerId: container.id,
      request,
      running: false,
      exitCode: null,
    };
    this.execs.set(record.id, { record, started: false, process: undefined, dropTimer: undefined });
    this.emit('exec_create', record);
    return record;
  }

  private entry(execId: string): ExecEntry {
    const entry = this.execs.get(execId);
    if (!entry) throw notFound(`No such exec instance: ${execId}`);
    return entry;
  }

  async start(execId: string): Promise<AttachedStdio> {
    const entry = this.entry(execId);
    if (entry.started) throw conflict(`exec ${execId} has already been started; create a new exec to run the command again`);
    const { record } = entry;
    const container = this.deps.store.find(record.containerId).record;
    if (!container.state.running) throw conflict(`Container ${container.id} is not running`);
    entry.started = true;
    const { request } = record;
    const tty = !!request.tty;
    let process: ExecProcess;
    try {
      const rootfs = await this.deps.snapshotter.mount(container.id);
      const user = await userInRootfs(request.user || container.user, rootfs);
      process = await this.deps.runtime.exec(container.id, bundleDir(this.deps.root, container.id), {
        execId,
        args: request.cmd,
        env: mergeEnv(container.env, request.env ?? []),
        cwd: request.workingDir || container.workingDir || '/',
        user,
        tty,
        openStdin: !!request.attachStdin,
        consoleSize: request.consoleSize,
        privileged: request.privileged,
      });
    } catch (err) {
      // The runtime reports 126 (not executable) or 127 (not found) in the error's details.
      const reported = isMarinaError(err) ? err.details?.exitCode : undefined;
      this.finish(entry, typeof reported === 'number' ? reported : cannotRunExitCode);
      throw err;
    }
    entry.process = process;
    record.running = true;
    this.emit('exec_start', record);
    const finished = process.wait().then(
      (exitCode) => this.finish(entry, exitCode),
      () => this.finish(entry, -1),
    );
    // The output ends only once the exit code is recorded: clients inspect the exec as soon as its stream
    // closes, and must find it finished with its code.
    const output = new PassThrough({ objectMode: true });
    process.stdio.output.pipe(output, { end: false });
    process.stdio.output.once('end', () => void finished.then(() => output.end()));
    process.stdio.output.once('error', (err) => output.destroy(err));
    return { output, input: process.stdio.input, tty, close: () => process.stdio.close() };
  }

  /** Records the exit code and schedules the drop; `exec_die` only for a process that ran. */
  private finish(entry: ExecEntry, exitCode: number): void {
    const ran = entry.record.running;
    entry.record.running = false;
    entry.record.exitCode = exitCode;
    entry.process = undefined;
    if (ran) this.emit('exec_die', entry.record, { exitCode: String(exitCode) });
    entry.dropTimer = setTimeout(() => this.execs.delete(entry.record.id), keepFinishedMs);
    entry.dropTimer.unref();
  }

  async inspect(execId: string): Promise<ExecRecord> {
    return { ...this.entry(execId).record };
  }

  async resize(execId: string, size: TerminalSize): Promise<void> {
    const { process } = this.entry(execId);
    if (!Number.isInteger(size.height) || !Number.isInteger(size.width) || size.height <= 0 || size.width <= 0) {
      throw invalid(`terminal size must be positive whole numbers, got ${size.height}x${size.width}`);
    }
    if (!process) throw conflict(`exec ${execId} is not running`);
    await process.resize(size);
  }

  /** Drops the records of a removed container's execs. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.execs) {
      if (e.record.containerId !== containerId) continue;
      clearTimeout(e.dropTimer);
      this.execs.delete(id);
    }
  }

  private emit(action: string, record: ExecRecord, extra: Record<string, string> = {}): void {
    this.deps.emit(
      engineEvent('container', action, record.containerId, { execID: record.id, ...extra }),
    );
  }
}

/** The container's environment with the exec's variables added, replacing same-named ones (a process
 * sees the first of duplicate entries, so appending alone would not override). */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const nameOf = (entry: string) => entry.split('=', 1)[0]!;
  const overridden = new Set(extra.map(nameOf));
  return [...base.filter((e) => !overridden.has(nameOf(e))), ...extra];
}
