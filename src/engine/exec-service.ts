/**
 * `exec`: runs another process in a running container, through the runtime (conmon's exec mode).
 * Records live in memory only, as Docker's do: an exec does not outlive its container or marinad.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MarinaError, conflict, notFound } from '../errors.ts';
import type { ExecProcess, Runtime, TerminalSize } from '../runtime/runtime.ts';
import { resolveUser } from '../runtime/user.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import type { ContainerStore } from './container-store.ts';
import type { EngineEvent, ExecCreateRequest, ExecRecord } from './container-types.ts';
import { engineEvent } from './events.ts';
import { bundleDir } from './layout.ts';
import type { AttachedStdio, ExecService } from './services.ts';

/** How long a finished exec stays inspectable (clients read its exit code after the stream ends). */
const keepFinishedMs = 5 * 60 * 1000;

interface ExecEntry {
  record: ExecRecord;
  process: ExecProcess | undefined;
}

export interface ExecServiceDeps {
  root: string;
  store: ContainerStore;
  runtime: Runtime;
  snapshotter: Snapshotter;
  emit(event: EngineEvent): void;
}

const readOptional = (path: string) => readFile(path, 'utf8').catch(() => '');

export class ExecServiceImpl implements ExecService {
  private readonly deps: ExecServiceDeps;
  private readonly execs = new Map<string, ExecEntry>();

  constructor(deps: ExecServiceDeps) {
    this.deps = deps;
  }

  async create(containerIdOrName: string, request: ExecCreateRequest): Promise<ExecRecord> {
    const container = this.deps.store.find(containerIdOrName).record;
    if (!container.state.running) throw conflict(`Container ${container.id} is not running`);
    if (request.cmd.length === 0) throw new MarinaError('Invalid', 'exec needs a command to run');
    const record: ExecRecord = {
      id: randomBytes(32).toString('hex'),
      containerId: container.id,
      request,
      running: false,
      exitCode: null,
    };
    this.execs.set(record.id, { record, process: undefined });
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
    if (entry.process || entry.record.exitCode !== null) throw conflict(`exec ${execId} has already been started`);
    const { record } = entry;
    const container = this.deps.store.find(record.containerId).record;
    if (!container.state.running) throw conflict(`Container ${container.id} is not running`);
    const { request } = record;
    const rootfs = await this.deps.snapshotter.mount(container.id);
    const user = resolveUser(request.user ?? container.user, {
      passwd: await readOptional(join(rootfs, 'etc/passwd')),
      group: await readOptional(join(rootfs, 'etc/group')),
    });
    const tty = !!request.tty;
    const process = await this.deps.runtime.exec(container.id, bundleDir(this.deps.root, container.id), {
      execId,
      args: request.cmd,
      env: [...container.env, ...(request.env ?? [])],
      cwd: request.workingDir || container.workingDir || '/',
      user,
      tty,
      openStdin: !!request.attachStdin,
      consoleSize: request.consoleSize,
      privileged: request.privileged,
    });
    entry.process = process;
    record.running = true;
    this.emit('exec_start', record);
    process.wait().then(
      (exitCode) => this.finish(entry, exitCode),
      () => this.finish(entry, -1),
    );
    return { output: process.stdio.output, input: process.stdio.input, tty, close: () => process.stdio.close() };
  }

  private finish(entry: ExecEntry, exitCode: number): void {
    entry.record.running = false;
    entry.record.exitCode = exitCode;
    entry.process = undefined;
    this.emit('exec_die', entry.record, { exitCode: String(exitCode) });
    setTimeout(() => this.execs.delete(entry.record.id), keepFinishedMs).unref();
  }

  async inspect(execId: string): Promise<ExecRecord> {
    return { ...this.entry(execId).record };
  }

  async resize(execId: string, size: TerminalSize): Promise<void> {
    const { process } = this.entry(execId);
    if (!process) throw conflict(`exec ${execId} is not running`);
    await process.resize(size);
  }

  /** Drops the records of a removed container's execs. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.execs) if (e.record.containerId === containerId) this.execs.delete(id);
  }

  private emit(action: string, record: ExecRecord, extra: Record<string, string> = {}): void {
    this.deps.emit(
      engineEvent('container', action, record.containerId, { execID: record.id, ...extra }),
    );
  }
}
