/**
 * The container service: lifecycle, exits, restart policies, waits, attach, logs and stats. It composes
 * the image, snapshot, volume and runtime roles; every operation on one container runs under that
 * container's lock, so a stop, an exit and a policy restart never interleave.
 *
 * Order of effects (docs/architecture.md): the row is written before the kernel objects it describes
 * and removed after them, so a crash at any point leaves something reconcile can finish.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Logger } from 'pino';
import { readTextOrEmpty } from '../read-text.ts';
import { MarinaError, conflict, invalid, isMarinaError } from '../errors.ts';
import { generateId, shortId } from '../ids.ts';
import type { ImageRecord } from '../image/image-types.ts';
import type { CgroupStats } from '../runtime/cgroups.ts';
import type { OciSpec } from '../runtime/oci-spec.ts';
import type { Runtime, TerminalSize } from '../runtime/runtime.ts';
import type { SpecInput } from '../runtime/spec-input.ts';
import type { LayerSource, Snapshotter } from '../snapshot/snapshotter.ts';
import type { VolumeService } from '../volume/volume-service.ts';
import { AttachSession } from './attach-session.ts';
import { ContainerFiles, type HostMount } from './container-files.ts';
import { topOf } from './container-top.ts';
import { ExitWaiters } from './exit-waiters.ts';
import { userInRootfs } from './rootfs-user.ts';
import { specInputOf } from './spec-input-of.ts';
import type {
  ContainerCreateRequest,
  ContainerMount,
  ContainerRecord,
  ContainerStats,
  ContainerSummary,
  EngineEvent,
  ExtractOptions,
  HealthcheckConfig,
  HealthProbeResult,
  LogEntry,
  LogOptions,
  PathStat,
  ProcessTable,
  WaitCondition,
} from './container-types.ts';
import { type ContainerEntry, type ContainerStore, createdState, noSuchContainer } from './container-store.ts';
import type { ContainerNetworking, EtcFiles } from './container-network.ts';
import { containerNetworkMode } from './etc-files.ts';
import { resolveHealthcheck } from './health-config.ts';
import { HealthMonitor, healthStatusSuffix, nextHealth, startingHealth } from './health-monitor.ts';
import { onlineCpus, parseNetDev, systemCpuNs } from './host-stats.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { bundleDir, cgroupsPathOf, exitsDir, logPathOf } from './layout.ts';
import { randomName, validateName } from './names.ts';
import { mergeProcessConfig } from './process-config.ts';
import { decideRestart } from './restart-policy.ts';
import { withLabels } from './label-lookup.ts';
import type { AttachedStdio, ContainerListOptions, ContainerService } from './services.ts';
import { statusText } from './status-text.ts';

export interface ImageResolver {
  /** The image a reference names; `NotFound` when absent. */
  resolve(reference: string): Promise<ImageRecord>;
  layerSources(image: ImageRecord): readonly LayerSource[] | Promise<readonly LayerSource[]>;
}

export interface ContainerServiceDeps {
  root: string;
  logger: Logger;
  store: ContainerStore;
  images: ImageResolver;
  snapshotter: Snapshotter;
  runtime: Runtime;
  volumes: VolumeService;
  emit(event: EngineEvent): void;
  buildSpec(input: SpecInput): OciSpec;
  /** Must be asked before `runtime.delete`, which removes the cgroup. */
  wasOomKilled(cgroupsPath: string): Promise<boolean>;
  readCgroupStats(cgroupsPath: string): Promise<CgroupStats>;
  readLogs(logPath: string, options: LogOptions, control: { signal?: AbortSignal; isRunning: () => boolean }): AsyncIterable<LogEntry>;
  /** conmon's own log cap, the backstop while marinad is not rotating. */
  logSizeMax: number;
  /** Rotation watches the logs of running containers only. */
  logRotation: { track(id: string, logPath: string): void; untrack(id: string): void };
  /** Runs one health probe in the running container (health-probe.ts); never rejects. */
  runProbe(id: string, config: HealthcheckConfig): Promise<HealthProbeResult>;
  networking: ContainerNetworking;
}

const defaultStopTimeoutSeconds = 10;
/** Docker's exit code when a start failed for a reason with no code of its own. */
const exitUnknown = 128;
const exitCodeUnknownAfterDowntime = 255;

export class ContainerServiceImpl implements ContainerService {
  private readonly deps: ContainerServiceDeps;
  private readonly log: Logger;
  private readonly mutex = new KeyedMutex();
  private readonly waiters = new ExitWaiters();
  private readonly pendingAttaches = new Map<string, Set<AttachSession>>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly restartDelays = new Map<string, number>();
  private readonly health: HealthMonitor;
  /** Containers being stopped because they turned unhealthy, to be started again when they exit. */
  private readonly unhealthyRestarts = new Set<string>();

  constructor(deps: ContainerServiceDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ part: 'containers' });
    this.health = new HealthMonitor({
      logger: this.log,
      probe: deps.runProbe,
      report: (id, result) => this.recordProbe(id, result),
    });
  }

  // ---- create ---------------------------------------------------------------------------------------

  async create(request: ContainerCreateRequest): Promise<ContainerRecord> {
    const { store } = this.deps;
    const name = request.name ? validateName(request.name) : this.freeRandomName();
    if (request.autoRemove && request.restartPolicy && request.restartPolicy.name !== 'no') {
      throw invalid('conflicting options: --restart and --rm cannot be used together; drop one of them');
    }
    validateMountTargets(request);
    const image = await this.deps.images.resolve(request.image);
    const network = await this.deps.networking.plan(request, image.config.config);
    // Docker records `container:` with the owner's id, so a rename of the owner changes nothing.
    const accepted =
      network.choice.kind === 'container' ? { ...request, networkMode: containerNetworkMode(network.choice.container) } : request;
    const processConfig = mergeProcessConfig(image.config.config, request);
    const healthcheck = resolveHealthcheck(image.config.config, request.healthcheck);
    store.assertNameFree(name);

    const id = generateId();
    const record: ContainerRecord = {
      id,
      name,
      created: new Date().toISOString(),
      image: request.image,
      imageId: image.id,
      request: accepted,
      ...processConfig,
      hostname: network.sharedHostname ?? (request.hostname || (network.choice.kind === 'host' ? hostname() : shortId(id))),
      mounts: [],
      networks: [],
      ports: [],
      healthcheck,
      state: createdState(),
      logPath: logPathOf(this.deps.root, id),
    };
    const entry: ContainerEntry = {
      record,
      explicitlyStopped: false,
      anonymousVolumes: [],
      stopSignal: request.stopSignal || image.config.config?.StopSignal || 'SIGTERM',
      publish: network.publish,
    };
    store.insert(entry);
    try {
      record.mounts = await this.resolveMounts(request, image, entry.anonymousVolumes);
      await mkdir(bundleDir(this.deps.root, id), { recursive: true, mode: 0o700 });
      await this.deps.snapshotter.ensureLayers(await this.deps.images.layerSources(image));
      await this.deps.snapshotter.prepare(id, image.config.rootfs.diff_ids);
      store.update(entry);
    } catch (err) {
      await this.removeArtifacts(id);
      store.delete(id);
      await this.removeVolumes(entry.anonymousVolumes);
      throw err;
    }
    this.emit('create', record);
    return record;
  }

  /** Like Docker, falls back to a numbered name once plain ones keep colliding. */
  private freeRandomName(): string {
    for (let attempt = 0; ; attempt++) {
      const name = attempt < 10 ? randomName() : `${randomName()}${attempt}`;
      if (!this.deps.store.nameHolder(name)) return name;
    }
  }

  private async resolveMounts(
    request: ContainerCreateRequest,
    image: ImageRecord,
    anonymous: string[],
  ): Promise<ContainerMount[]> {
    const mounts: ContainerMount[] = [];
    for (const m of request.mounts ?? []) {
      if (m.type === 'bind') {
        // Docker creates a missing host directory for `-v`; an existing file or directory is used as it is.
        if (!existsSync(m.source)) await mkdir(m.source, { recursive: true });
        mounts.push({ type: 'bind', source: m.source, target: m.target, readOnly: !!m.readOnly });
      } else if (m.type === 'volume') {
        const volume = m.name ? await this.namedVolume(m.name) : await this.deps.volumes.create(undefined);
        if (!m.name) anonymous.push(volume.name);
        mounts.push({ type: 'volume', name: volume.name, source: volume.mountpoint, target: m.target, readOnly: !!m.readOnly });
      } else {
        mounts.push({ type: 'tmpfs', source: '', target: m.target, readOnly: false });
      }
    }
    // VOLUME paths of the image get an anonymous volume unless the user mounted something there.
    for (const target of Object.keys(image.config.config?.Volumes ?? {})) {
      if (mounts.some((m) => m.target === target)) continue;
      const volume = await this.deps.volumes.create(undefined);
      anonymous.push(volume.name);
      mounts.push({ type: 'volume', name: volume.name, source: volume.mountpoint, target, readOnly: false });
    }
    return mounts;
  }

  private async namedVolume(name: string) {
    try {
      return await this.deps.volumes.inspect(name);
    } catch (err) {
      if (!isMarinaError(err, 'NotFound')) throw err;
      return await this.deps.volumes.create(name);
    }
  }

  // ---- start ----------------------------------------------------------------------------------------

  async start(idOrName: string): Promise<void> {
    const id = this.idOf(idOrName);
    await this.mutex.run(id, async () => {
      const entry = this.current(id, idOrName);
      const { status } = entry.record.state;
      if (status === 'running') throw new MarinaError('NotModified', `container ${entry.record.name} is already running`);
      if (status === 'removing' || status === 'dead') {
        throw conflict(`cannot start container ${entry.record.name}: it is ${status}; remove it and create a new one`);
      }
      this.cancelRestart(id);
      entry.record.state.restartCount = 0;
      this.restartDelays.delete(id);
      await this.startLocked(entry);
    });
  }

  /** Mounts, writes the bundle, creates and starts the container; on failure records why and undoes it all. */
  private async startLocked(entry: ContainerEntry): Promise<void> {
    const { record } = entry;
    const { id, request } = record;
    const { runtime, snapshotter } = this.deps;
    const bundle = bundleDir(this.deps.root, id);
    let created = false;
    try {
      const rootfs = await snapshotter.mount(id);
      await mkdir(bundle, { recursive: true, mode: 0o700 });
      const [etcFiles, user, network] = await Promise.all([
        this.deps.networking.writeEtcFiles(record, bundle),
        userInRootfs(record.user, rootfs),
        this.deps.networking.namespaceOf(record),
      ]);
      const spec = this.deps.buildSpec({ ...specInputOf(record, { rootfs, user, etcFiles }), network });
      const { pid } = await runtime.create({
        id,
        bundleDir: bundle,
        spec,
        tty: !!request.tty,
        openStdin: !!request.openStdin,
        leaveStdinOpen: !request.stdinOnce,
        logPath: record.logPath,
        logSizeMax: this.deps.logSizeMax,
      });
      created = true;
      // Independent: the network join happens in the netns, the stdio attach in conmon; nothing runs yet.
      const [joined] = await Promise.all([
        this.deps.networking.join(record, pid, entry.publish, bundle, entry.connectedNetworks),
        this.connectPendingAttaches(id),
      ]);
      Object.assign(record, joined);
      await runtime.start(id);
      entry.explicitlyStopped = false;
      Object.assign(record.state, {
        status: 'running',
        running: true,
        pid,
        exitCode: 0,
        oomKilled: false,
        error: '',
        startedAt: new Date().toISOString(),
        // Each run starts unproven; the log of earlier runs stays (it says why the last one was restarted).
        health: record.healthcheck ? startingHealth(record.state.health?.log) : undefined,
      });
      this.deps.store.update(entry);
      this.deps.logRotation.track(id, record.logPath);
      if (record.healthcheck) this.health.arm(id, record.healthcheck);
    } catch (err) {
      if (created) await runtime.delete(id, { force: true }).catch((e) => this.log.warn({ err: e, id }, 'runc delete failed'));
      await this.leaveNetworks(record);
      await snapshotter.unmount(id).catch((e) => this.log.warn({ err: e, id }, 'unmount failed'));
      throw await this.recordStartFailure(entry, err);
    }
    this.emit('start', record);
  }

  /**
   * Like Docker: the container stays `created` with the start error and an exit code (127 command not
   * found, 126 not executable, else 128), and is removed at once when it was run with --rm.
   */
  private async recordStartFailure(entry: ContainerEntry, err: unknown): Promise<MarinaError> {
    const cause = isMarinaError(err) ? err : new MarinaError('Internal', err instanceof Error ? err.message : String(err), { cause: err });
    const reported = cause.details?.exitCode;
    const exitCode = typeof reported === 'number' ? reported : exitUnknown;
    Object.assign(entry.record.state, {
      status: 'created',
      running: false,
      pid: 0,
      exitCode,
      error: cause.message,
      finishedAt: new Date().toISOString(),
    });
    this.deps.store.update(entry);
    this.closePendingAttaches(entry.record.id);
    this.waiters.resolve(entry.record.id, ['next-exit', 'not-running'], exitCode);
    if (entry.record.request.autoRemove) await this.removeLocked(entry.record.id, true);
    if (typeof reported === 'number' && cause.code === 'Internal') {
      return new MarinaError('Invalid', cause.message, { cause, details: { ...cause.details, exitCode } });
    }
    return cause;
  }

  // ---- exits and restart policies -------------------------------------------------------------------

  /** The runtime saw `id` exit (or reconcile found it gone): record it and apply --rm or the policy. */
  handleExit(id: string): Promise<void> {
    return this.mutex.run(id, () => this.handleExitLocked(id));
  }

  private async handleExitLocked(id: string): Promise<void> {
    const entry = this.deps.store.get(id);
    if (entry?.record.state.status !== 'running') return;
    this.health.disarm(id);
    const { runtime, snapshotter } = this.deps;
    const [reported, oomKilled] = await Promise.all([
      runtime.exitCode(id).catch(() => undefined),
      this.deps.wasOomKilled(cgroupsPathOf(id)).catch(() => false),
    ]);
    const exitCode = reported ?? exitCodeUnknownAfterDowntime;
    // Independent of each other (the container's processes are gone), so on the run path together.
    await Promise.all([
      runtime.delete(id, { force: true }).catch((err) => this.log.warn({ err, id }, 'runc delete failed')),
      snapshotter.unmount(id).catch((err) => this.log.warn({ err, id }, 'unmount failed')),
      this.leaveNetworks(entry.record),
    ]);
    this.deps.logRotation.untrack(id);
    const { state } = entry.record;
    const ranForMs = Date.now() - Date.parse(state.startedAt);
    Object.assign(state, {
      status: 'exited',
      running: false,
      pid: 0,
      exitCode,
      oomKilled,
      error: reported === undefined ? 'the exit code is unknown: the container ended while marinad was down and left none' : '',
      finishedAt: new Date().toISOString(),
    });
    this.deps.store.update(entry);
    if (oomKilled) this.emit('oom', entry.record);
    this.emit('die', entry.record, { exitCode: String(exitCode) });
    this.waiters.resolve(id, ['next-exit', 'not-running'], exitCode);

    // Before --rm and the policy: the engine ended this run to start it again, the container did not exit.
    if (this.unhealthyRestarts.delete(id) && !entry.explicitlyStopped) {
      this.scheduleRestart(entry, 0);
      return;
    }
    if (entry.record.request.autoRemove) {
      await this.removeLocked(id, true);
      return;
    }
    const decision = decideRestart({
      policy: entry.record.request.restartPolicy,
      exitCode,
      explicitlyStopped: entry.explicitlyStopped,
      restartCount: state.restartCount,
      ranForMs: Number.isFinite(ranForMs) ? ranForMs : 0,
      previousDelayMs: this.restartDelays.get(id) ?? 0,
    });
    if (decision.restart) this.scheduleRestart(entry, decision.delayMs);
  }

  /** Puts the container in `restarting` and starts it after `delayMs` unless someone intervenes. */
  private scheduleRestart(entry: ContainerEntry, delayMs: number): void {
    const { id } = entry.record;
    entry.record.state.status = 'restarting';
    entry.record.state.restartCount += 1;
    this.deps.store.update(entry);
    this.restartDelays.set(id, delayMs);
    this.emit('restart', entry.record);
    this.armRestart(id, delayMs);
  }

  private armRestart(id: string, delayMs: number): void {
    this.cancelRestart(id);
    const timer = setTimeout(() => {
      this.restartTimers.delete(id);
      void this.mutex.run(id, () => this.restartFromPolicy(id));
    }, delayMs);
    this.restartTimers.set(id, timer);
  }

  // ---- live restore (driven by reconcile) -----------------------------------------------------------

  /** Takes back a container that kept running while marinad was down. */
  adopt(id: string, pid: number): Promise<void> {
    return this.mutex.run(id, async () => {
      const entry = this.deps.store.get(id);
      if (entry?.record.state.status !== 'running') return;
      entry.record.state.pid = pid;
      this.deps.store.update(entry);
      this.deps.logRotation.track(id, entry.record.logPath);
      if (entry.record.healthcheck) this.health.arm(id, entry.record.healthcheck);
    });
  }

  /** A policy restart that was pending when marinad went down happens now (it was already counted). */
  resumeRestart(id: string): Promise<void> {
    return this.mutex.run(id, async () => {
      if (this.deps.store.get(id)?.record.state.status === 'restarting') this.armRestart(id, 0);
    });
  }

  finishRemoval(id: string): Promise<void> {
    return this.mutex.run(id, async () => {
      const entry = this.deps.store.get(id);
      if (entry) await this.removeLocked(id, !!entry.record.request.autoRemove);
    });
  }

  private async restartFromPolicy(id: string): Promise<void> {
    const entry = this.deps.store.get(id);
    if (entry?.record.state.status !== 'restarting') return;
    try {
      await this.startLocked(entry);
    } catch (err) {
      this.log.warn({ err, id }, 'restart by policy failed; the container stays stopped');
      const after = this.deps.store.get(id);
      if (after && after.record.state.status === 'created') {
        after.record.state.status = 'exited';
        this.deps.store.update(after);
      }
    }
  }

  private cancelRestart(id: string): void {
    const timer = this.restartTimers.get(id);
    if (timer) clearTimeout(timer);
    this.restartTimers.delete(id);
  }

  // ---- stop, kill, restart, remove ------------------------------------------------------------------

  async stop(idOrName: string, options: { timeoutSeconds?: number; signal?: string } = {}): Promise<void> {
    const id = this.idOf(idOrName);
    const exited = await this.mutex.run(id, async () => {
      const entry = this.current(id, idOrName);
      entry.explicitlyStopped = true;
      this.health.disarm(id);
      if (entry.record.state.status === 'restarting') {
        this.cancelRestart(id);
        entry.record.state.status = 'exited';
        this.deps.store.update(entry);
        return undefined;
      }
      if (entry.record.state.status !== 'running') {
        throw new MarinaError('NotModified', `container ${entry.record.name} is already stopped`);
      }
      this.deps.store.update(entry);
      const exit = this.waiters.waitFor(id, 'next-exit');
      await this.signal(id, options.signal || entry.stopSignal);
      return { exit, timeout: options.timeoutSeconds ?? stopTimeoutOf(entry) };
    });
    if (exited) await this.awaitExitOrKill(id, exited.exit, exited.timeout);
    const entry = this.deps.store.get(id);
    if (entry) this.emit('stop', entry.record);
  }

  /** Waits for the exit up to `timeoutSeconds` (forever when negative), then kills every process of the container. */
  private async awaitExitOrKill(id: string, exit: Promise<number>, timeoutSeconds: number): Promise<void> {
    const inTime = timeoutSeconds < 0 ? await exit : await withTimeout(exit, timeoutSeconds * 1000);
    if (inTime === undefined) {
      await this.signal(id, 'KILL', true);
      await exit;
    }
  }

  /**
   * Sends `signal`. A SIGKILL returns only once the container has exited, as Docker's does, so that
   * `kill` then `rm` (or `inspect`) sees it stopped; other signals return once delivered.
   */
  async kill(idOrName: string, signal = 'KILL'): Promise<void> {
    const id = this.idOf(idOrName);
    // The exit promise is wrapped: returned bare, it would be awaited while still holding the lock.
    const killed = await this.mutex.run(id, async () => {
      const entry = this.current(id, idOrName);
      if (entry.record.state.status !== 'running') {
        throw conflict(`Cannot kill container: ${idOrName}: Container ${id} is not running`);
      }
      entry.explicitlyStopped = true;
      this.deps.store.update(entry);
      const exit = isSigkill(signal) ? this.waiters.waitFor(id, 'next-exit') : undefined;
      await this.deps.runtime.kill(id, signal);
      this.emit('kill', entry.record, { signal });
      return { exit };
    });
    await killed.exit;
  }

  async restart(idOrName: string, options: { timeoutSeconds?: number } = {}): Promise<void> {
    const id = this.idOf(idOrName);
    try {
      await this.stop(id, options);
    } catch (err) {
      if (!isMarinaError(err, 'NotModified')) throw err;
    }
    await this.start(id);
    const entry = this.deps.store.get(id);
    if (entry) this.emit('restart', entry.record);
  }

  async remove(idOrName: string, options: { force?: boolean; removeVolumes?: boolean } = {}): Promise<void> {
    const id = this.idOf(idOrName);
    // The exit promise is wrapped: returned bare, it would be awaited while still holding the lock.
    const killed = await this.mutex.run(id, async () => {
      const entry = this.current(id, idOrName);
      const { status } = entry.record.state;
      if (status !== 'running' && status !== 'restarting') return undefined;
      if (!options.force) {
        throw conflict(
          `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`,
        );
      }
      entry.explicitlyStopped = true;
      this.cancelRestart(id);
      if (status === 'restarting') {
        entry.record.state.status = 'exited';
        this.deps.store.update(entry);
        return undefined;
      }
      this.deps.store.update(entry);
      const exit = this.waiters.waitFor(id, 'next-exit');
      await this.signal(id, 'KILL', true);
      return { exit };
    });
    if (killed) await killed.exit;
    await this.mutex.run(id, () => this.removeLocked(id, !!options.removeVolumes));
  }

  /** Removes a stopped container: runtime state, snapshot, bundle, anonymous volumes if asked, then the row. */
  private async removeLocked(id: string, removeVolumes: boolean): Promise<void> {
    const entry = this.deps.store.get(id);
    if (!entry) return;
    if (entry.record.state.status === 'running') {
      throw conflict(`container ${entry.record.name} was started again while being removed; stop it and retry`);
    }
    entry.record.state.status = 'removing';
    this.deps.store.update(entry);
    this.deps.logRotation.untrack(id);
    await this.removeArtifacts(id);
    this.deps.store.delete(id);
    // After the row: a volume counts as in use while a container row names it.
    if (removeVolumes) await this.removeVolumes(entry.anonymousVolumes);
    this.cancelRestart(id);
    this.restartDelays.delete(id);
    this.closePendingAttaches(id);
    this.emit('destroy', entry.record);
    this.waiters.resolve(id, ['removed', 'next-exit', 'not-running'], entry.record.state.exitCode);
  }

  private async removeArtifacts(id: string): Promise<void> {
    await this.deps.runtime.delete(id, { force: true }).catch((err) => this.log.warn({ err, id }, 'runc delete failed'));
    await Promise.all([
      this.deps.snapshotter.remove(id),
      rm(bundleDir(this.deps.root, id), { recursive: true, force: true }),
      rm(join(exitsDir(this.deps.root), id), { force: true }),
      this.deps.networking.release(id).catch((err) => this.log.warn({ err, id }, 'releasing network addresses failed')),
    ]);
  }

  /** Port rules and reservations go when the container stops; a failure is logged, the next start or reconcile mends it. */
  private async leaveNetworks(record: ContainerRecord): Promise<void> {
    await this.deps.networking.leave(record.id).catch((err) => this.log.warn({ err, id: record.id }, 'leaving networks failed'));
    record.networks = [];
    record.ports = [];
  }

  private async removeVolumes(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.deps.volumes.remove(name, { force: true }).catch((err) => this.log.warn({ err, name }, 'volume removal failed'));
    }
  }

  async prune(): Promise<string[]> {
    const removed: string[] = [];
    for (const { record } of this.deps.store.all()) {
      if (!['created', 'exited', 'dead'].includes(record.state.status)) continue;
      const done = await this.mutex.run(record.id, async () => {
        const entry = this.deps.store.get(record.id);
        if (!entry || !['created', 'exited', 'dead'].includes(entry.record.state.status)) return false;
        await this.removeLocked(record.id, false);
        return true;
      });
      if (done) removed.push(record.id);
    }
    return removed;
  }

  private async signal(id: string, signal: string, all = false): Promise<void> {
    try {
      await this.deps.runtime.kill(id, signal, { all });
    } catch (err) {
      // The process may have exited on its own meanwhile; the exit handler records that.
      if (isMarinaError(err, 'Invalid')) throw err;
      this.log.debug({ err, id, signal }, 'signal not delivered');
    }
  }

  // ---- healthchecks ---------------------------------------------------------------------------------

  /** Records a probe of a running container; when that turns it unhealthy, applies its on-failure action. */
  private async recordProbe(id: string, result: HealthProbeResult): Promise<void> {
    const action = await this.mutex.run(id, async () => {
      const entry = this.deps.store.get(id);
      const config = entry?.record.healthcheck;
      if (!entry || !config || entry.record.state.status !== 'running') return 'none';
      const step = nextHealth(entry.record.state, result, config, Date.now());
      entry.record.state.health = step.health;
      this.deps.store.update(entry);
      if (step.changed) this.emit(`health_status: ${step.health.status}`, entry.record);
      return step.act ? config.onFailure : 'none';
    });
    if (action === 'none') return;
    this.log.info({ id, action }, 'container turned unhealthy');
    if (action === 'stop') await this.stop(id);
    else await this.endUnhealthyRun(id, action);
  }

  /**
   * `restart`: the stop signal, SIGKILL after the stop timeout, then a counted restart when it exits.
   * `kill`: SIGKILL, after which the restart policy decides, as for any crash. Neither is a user's stop.
   */
  private async endUnhealthyRun(id: string, action: 'kill' | 'restart'): Promise<void> {
    const stopping = await this.mutex.run(id, async () => {
      const entry = this.deps.store.get(id);
      if (entry?.record.state.status !== 'running' || entry.explicitlyStopped) return undefined;
      this.health.disarm(id);
      if (action === 'kill') {
        await this.signal(id, 'KILL', true);
        this.emit('kill', entry.record, { signal: 'SIGKILL' });
        return undefined;
      }
      this.unhealthyRestarts.add(id);
      const exit = this.waiters.waitFor(id, 'next-exit');
      await this.signal(id, entry.stopSignal);
      return { exit, timeout: stopTimeoutOf(entry) };
    });
    if (stopping) await this.awaitExitOrKill(id, stopping.exit, stopping.timeout);
  }

  // ---- wait -----------------------------------------------------------------------------------------

  async wait(idOrName: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<{ exitCode: number }> {
    const { record } = this.deps.store.find(idOrName);
    const { status, exitCode } = record.state;
    if (condition === 'not-running' && status !== 'running' && status !== 'restarting') return { exitCode };
    return { exitCode: await this.waiters.waitFor(record.id, condition, signal) };
  }

  // ---- queries --------------------------------------------------------------------------------------

  async list(options: ContainerListOptions = {}): Promise<ContainerSummary[]> {
    const now = Date.now();
    return withLabels(this.deps.store, options.labels)
      .filter(({ record }) => options.all || ['running', 'restarting', 'paused'].includes(record.state.status))
      .map(({ record }) => ({
        id: record.id,
        name: record.name,
        image: record.image,
        imageId: record.imageId,
        command: [record.path, ...record.args].join(' '),
        created: record.created,
        status: record.state.status,
        statusText: statusText(record.state, now) + healthStatusSuffix(record.state),
        labels: record.request.labels ?? {},
        ports: record.ports,
      }));
  }

  async connectNetwork(idOrName: string, network: string, aliases: string[] = []): Promise<void> {
    const id = this.idOf(idOrName);
    await this.mutex.run(id, async () => {
      const entry = this.current(id, idOrName);
      const connected = entry.connectedNetworks ?? [];
      entry.connectedNetworks = [...connected, await this.deps.networking.connect(entry.record, connected, network, aliases)];
      this.deps.store.update(entry);
    });
  }

  async disconnectNetwork(idOrName: string, network: string): Promise<void> {
    const id = this.idOf(idOrName);
    await this.mutex.run(id, async () => {
      const entry = this.current(id, idOrName);
      const connected = entry.connectedNetworks ?? [];
      const left = await this.deps.networking.disconnect(entry.record, connected, network);
      entry.connectedNetworks = connected.filter((c) => c.network !== left);
      this.deps.store.update(entry);
    });
  }

  async inspect(idOrName: string): Promise<ContainerRecord> {
    return this.deps.store.find(idOrName).record;
  }

  logs(idOrName: string, options: LogOptions, signal?: AbortSignal): AsyncIterable<LogEntry> {
    const { id, logPath } = this.deps.store.find(idOrName).record;
    const isRunning = () => {
      const status = this.deps.store.get(id)?.record.state.status;
      return status === 'running' || status === 'restarting';
    };
    return this.deps.readLogs(logPath, options, signal ? { signal, isRunning } : { isRunning });
  }

  async stats(idOrName: string): Promise<ContainerStats> {
    const { record } = this.deps.store.find(idOrName);
    if (record.state.status !== 'running') {
      throw conflict(`container ${record.name} is not running: stats are only available for running containers`);
    }
    const [cgroup, procStat, netDev] = await Promise.all([
      this.deps.readCgroupStats(cgroupsPathOf(record.id)),
      readFile('/proc/stat', 'utf8'),
      readTextOrEmpty(`/proc/${record.state.pid}/net/dev`),
    ]);
    return {
      id: record.id,
      name: record.name,
      read: new Date().toISOString(),
      cpu: { totalUsageNs: cgroup.cpu.totalUsageNs, systemUsageNs: systemCpuNs(procStat), onlineCpus: onlineCpus(procStat) },
      memory: cgroup.memory,
      pids: cgroup.pids,
      // A container on the host's network would report the host's interfaces: none, as Docker does.
      networks: record.request.networkMode === 'host' ? [] : parseNetDev(netDev),
    };
  }

  // ---- rename, top, files ---------------------------------------------------------------------------

  async rename(idOrName: string, name: string): Promise<void> {
    const id = this.idOf(idOrName);
    const newName = validateName(name);
    await this.mutex.run(id, async () => {
      const entry = this.current(id, idOrName);
      const oldName = entry.record.name;
      if (newName === oldName) throw invalid(`Renaming a container with the same name as its current name: give a different name than ${oldName}`);
      this.deps.store.rename(entry, newName);
      this.emit('rename', entry.record, { oldName: `/${oldName}` });
      // After the name is taken: other containers resolve the new name (and no longer the old one) at once.
      await this.deps.networking.rename(entry.record);
      this.deps.store.update(entry);
    });
  }

  async top(idOrName: string, psArgs?: string): Promise<ProcessTable> {
    const { record } = this.deps.store.find(idOrName);
    if (!record.state.running) throw conflict(`Container ${record.id} is not running`);
    return await topOf(cgroupsPathOf(record.id), psArgs);
  }

  statPath(idOrName: string, path: string): Promise<PathStat> {
    return this.withFiles(idOrName, (files) => files.stat(path));
  }

  /** A stopped container's snapshot stays mounted (and its lock held) until the tar has been read. */
  archive(idOrName: string, path: string): Promise<{ stat: PathStat; tar: Readable }> {
    return new Promise((resolve, reject) => {
      this.withFiles(idOrName, async (files) => {
        const packed = await files.pack(path);
        resolve(packed);
        await finished(packed.tar).catch(() => {});
      }).catch(reject);
    });
  }

  extractArchive(idOrName: string, path: string, archive: Readable, options?: ExtractOptions): Promise<void> {
    return this.withFiles(idOrName, (files) => files.extract(path, archive, options));
  }

  /**
   * Runs `use` on the container's files: a running container's through /proc/<pid>/root; a stopped one's
   * snapshot is mounted for the time of `use`, under the container's lock so no start races the unmount.
   */
  private async withFiles<T>(idOrName: string, use: (files: ContainerFiles) => Promise<T>): Promise<T> {
    const id = this.idOf(idOrName);
    const running = (record: ContainerRecord) =>
      new ContainerFiles(`/proc/${record.state.pid}/root`, [], record.name);
    const { record } = this.deps.store.find(id);
    if (record.state.running) return await use(running(record));
    return await this.mutex.run(id, async () => {
      const entry = this.current(id, idOrName);
      if (entry.record.state.running) return await use(running(entry.record));
      // A namespace owner that is gone took its /etc files along: the container's own rootfs shows there.
      const etcFiles = await this.deps.networking.etcFilesOf(entry.record, bundleDir(this.deps.root, id)).catch(() => undefined);
      const rootfs = await this.deps.snapshotter.mount(id);
      try {
        return await use(new ContainerFiles(rootfs, hostMountsOf(entry.record, etcFiles), entry.record.name));
      } finally {
        await this.deps.snapshotter.unmount(id).catch((err) => this.log.warn({ err, id }, 'unmount failed'));
      }
    });
  }

  // ---- stdio ----------------------------------------------------------------------------------------

  async attach(idOrName: string, options: { stdin: boolean }): Promise<AttachedStdio> {
    const id = this.idOf(idOrName);
    return await this.mutex.run(id, async () => {
      const { record } = this.current(id, idOrName);
      const { request } = record;
      const stdin = options.stdin && !!request.openStdin;
      if (record.state.status === 'running') {
        const session = new AttachSession({ tty: !!request.tty, stdin, endsStdin: !!request.stdinOnce });
        session.connect(await this.deps.runtime.attach(id, { stdin }));
        return session;
      }
      const set = this.pendingAttaches.get(id) ?? new Set();
      this.pendingAttaches.set(id, set);
      const session: AttachSession = new AttachSession({
        tty: !!request.tty,
        stdin,
        endsStdin: !!request.stdinOnce,
        onClose: () => set.delete(session),
      });
      set.add(session);
      return session;
    });
  }

  private async connectPendingAttaches(id: string): Promise<void> {
    const pending = this.pendingAttaches.get(id);
    if (!pending) return;
    this.pendingAttaches.delete(id);
    for (const session of pending) {
      if (session.isClosed) continue;
      session.connect(await this.deps.runtime.attach(id, { stdin: session.input !== undefined }));
    }
  }

  private closePendingAttaches(id: string): void {
    const pending = this.pendingAttaches.get(id);
    this.pendingAttaches.delete(id);
    for (const session of pending ?? []) session.close();
  }

  async resize(idOrName: string, size: TerminalSize): Promise<void> {
    const { record } = this.deps.store.find(idOrName);
    if (record.state.status !== 'running') throw conflict(`container ${record.name} is not running`);
    await this.deps.runtime.resize(record.id, size);
  }

  // ---- helpers --------------------------------------------------------------------------------------

  private idOf(idOrName: string): string {
    return this.deps.store.find(idOrName).record.id;
  }

  /** Re-reads the entry inside the lock: it may have changed or gone while waiting for it. */
  private current(id: string, idOrName: string): ContainerEntry {
    const entry = this.deps.store.get(id);
    if (!entry) throw noSuchContainer(idOrName);
    return entry;
  }

  private emit(action: string, record: ContainerRecord, extra: Record<string, string> = {}): void {
    this.deps.emit({
      type: 'container',
      action,
      actor: { id: record.id, attributes: { name: record.name, image: record.image, ...record.request.labels, ...extra } },
      timeNano: BigInt(Date.now()) * 1_000_000n,
    });
  }

  /** Stops policy timers and lets operations in flight finish; containers keep running (live restore). */
  async close(): Promise<void> {
    this.health.close();
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    await this.mutex.idle();
  }
}

/** Where a stopped container's mounts and /etc files are on the host (tmpfs mounts have no host side). */
function hostMountsOf(record: ContainerRecord, etcFiles: EtcFiles | undefined): HostMount[] {
  const etc = etcFiles
    ? [
        { target: '/etc/hostname', source: etcFiles.hostname },
        { target: '/etc/hosts', source: etcFiles.hosts },
        { target: '/etc/resolv.conf', source: etcFiles.resolvConf },
      ].filter((m) => existsSync(m.source))
    : [];
  return [...record.mounts.filter((m) => m.type !== 'tmpfs').map((m) => ({ target: m.target, source: m.source })), ...etc];
}

const stopTimeoutOf = (entry: ContainerEntry) =>
  entry.record.request.stopTimeout ?? defaultStopTimeoutSeconds;

function validateMountTargets(request: ContainerCreateRequest): void {
  const seen = new Set<string>();
  for (const m of request.mounts ?? []) {
    if (!m.target.startsWith('/')) throw invalid(`invalid mount target "${m.target}": it must be an absolute path`, { field: 'mounts' });
    if (seen.has(m.target)) throw invalid(`duplicate mount point "${m.target}": mount one thing per path`, { field: 'mounts' });
    seen.add(m.target);
    if (m.type === 'bind' && !m.source.startsWith('/')) {
      throw invalid(`invalid bind mount source "${m.source}": give an absolute host path`, { field: 'mounts' });
    }
  }
}


async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const isSigkill = (signal: string) => /^(SIG)?KILL$|^9$/i.test(signal);
