/**
 * Composes the engine from its parts over one state root, reconciles with what survived the previous
 * daemon (live restore), and starts the background work: exit watching, log rotation, db upkeep.
 * `close()` stops that work and closes the database but leaves containers running under conmon.
 */
import { arch, availableParallelism, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ContentCollector } from '../content/content-collector.ts';
import { GcCollector } from '../content/content-collector-impl.ts';
import type { ContentStore } from '../content/content-store.ts';
import { FileContentStore } from '../content/file-content-store.ts';
import { StateDb } from '../db/state-db.ts';
import { ImageStore } from '../image/image-store.ts';
import { BridgeDriver } from '../network/bridge-driver.ts';
import { daemonTagOf } from '../network/daemon-tag.ts';
import { DnsManager } from '../network/dns-server.ts';
import { type DnsUpstream, nameserversOf } from '../network/dns-upstreams.ts';
import { NetworkServiceImpl } from '../network/network-service-impl.ts';
import { readTextOrEmpty } from '../read-text.ts';
import { runChecked } from '../run-command.ts';
import { detectCgroupMode, readCgroupStats, wasOomKilled } from '../runtime/cgroups.ts';
import { ConmonRuntime } from '../runtime/conmon/conmon-runtime.ts';
import type { RuntimeState } from '../runtime/runtime.ts';
import { buildSpec } from '../runtime/spec.ts';
import { OverlaySnapshotter } from '../snapshot/overlay-snapshotter.ts';
import { LayerPruner } from './layer-pruner.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import { VolumeStore } from '../volume/volume-store.ts';
import { ContainerNetworking } from './container-network.ts';
import { ContainerServiceImpl } from './container-service.ts';
import { ContainerStore } from './container-store.ts';
import { diskUsageService } from './disk-usage.ts';
import { EventBus } from './events.ts';
import { ExecServiceImpl } from './exec-service.ts';
import { PodSandboxes } from './pod-sandbox.ts';
import { SandboxStore } from './sandbox-store.ts';
import { runHealthProbe } from './health-probe.ts';
import { exitsDir, runcRoot } from './layout.ts';
import { readLogs } from './logs/log-reader.ts';
import { LogRotator } from './logs/log-rotator.ts';
import { applyReconcile, planReconcile } from './reconcile.ts';
import type { Engine, SystemInfo } from './services.ts';

export interface EngineOptions {
  root: string;
  logger: Logger;
  version: string;
  attachHelperPath: string;
  runcPath?: string;
  conmonPath?: string;
  /** Rotate a container's log beyond this size (default 10 MiB). */
  logMaxBytes?: number;
  /** Log files kept per container, the live one included (default 3). */
  logMaxFiles?: number;
  /** The default network's bridge device, subnet, and the pool user networks are carved from. */
  bridge?: string;
  bridgeSubnet?: string;
  networkPool?: string;
  /** Where the embedded DNS forwards names it does not know (default: the host's resolv.conf nameservers). */
  dnsUpstreams?: DnsUpstream[];
}

export const networkDefaults = {
  bridge: 'marina0',
  bridgeSubnet: '10.88.0.0/16',
  networkPool: '10.89.0.0/16',
} as const;

const defaultLogMaxBytes = 10 * 1024 * 1024;
const defaultLogMaxFiles = 3;
/**
 * conmon's own --log-size-max, the backstop while marinad is down. conmon counts bytes since its own
 * last truncation and does not reset that count when we rotate and ask it to reopen, so every time the
 * count reaches the cap it empties the live file. A cap of 2x the rotation size lost about half of a
 * busy container's lines (observed); a large cap keeps that rare while still bounding the disk.
 */
const conmonLogCapFloor = 1024 ** 3;
const logCheckIntervalMs = 1000;
const dbMaintenanceIntervalMs = 60 * 60 * 1000;

/** What the registry and the builder share with the engine: one database, one content store, one snapshotter. */
export interface EngineStorage {
  db: StateDb;
  content: ContentStore;
  collector: ContentCollector;
  images: ImageStore;
  snapshotter: Snapshotter;
}

export async function createEngine(
  options: EngineOptions,
): Promise<Engine & { storage: EngineStorage; close(): Promise<void> }> {
  const { root, logger, version } = options;
  const logMaxBytes = options.logMaxBytes ?? defaultLogMaxBytes;
  const db = new StateDb(join(root, 'state.db'));
  const events = new EventBus({ logger });
  const store = new ContainerStore(db);
  const content = new FileContentStore(root);
  await content.cleanupIngest();
  const collector = new GcCollector(content);
  // Made once the snapshotter is; an image deleted before then has its layers pruned by the first run.
  let layerPruner: LayerPruner | undefined;
  const images = new ImageStore(db, content, collector, {
    isInUse: (imageId) => store.usesImage(imageId),
    onEvent: (action, imageId, attributes) => {
      if (action === 'delete') void layerPruner?.request();
      events.emit({
        type: 'image',
        action,
        actor: { id: imageId, attributes },
        timeNano: BigInt(Date.now()) * 1_000_000n,
      });
    },
  });
  const volumes = new VolumeStore(db, root, {
    isInUse: (name: string) => store.containersUsingVolume(name),
    onEvent: (action, name) => events.emit('volume', action, name, { driver: 'local' }),
  });
  await volumes.reconcile();
  const snapshotter = new OverlaySnapshotter(root);
  layerPruner = new LayerPruner({ snapshotter, images, logger: logger.child({ part: 'layers' }) });
  const daemonTag = daemonTagOf(root);
  const dns = new DnsManager({
    upstreams: options.dnsUpstreams ?? nameserversOf(await readTextOrEmpty('/etc/resolv.conf')),
    logger,
  });
  const networks = new NetworkServiceImpl({
    db,
    driver: new BridgeDriver({ daemonTag, logger: logger.child({ part: 'network' }) }),
    dns,
    defaultNetwork: {
      name: 'bridge',
      bridge: options.bridge ?? networkDefaults.bridge,
      subnet: options.bridgeSubnet ?? networkDefaults.bridgeSubnet,
    },
    pool: options.networkPool ?? networkDefaults.networkPool,
    daemonTag,
    readHostRoutes: () => runChecked('ip', ['-4', 'route']),
    onWarning: (message) => logger.warn(message),
    // Docker's attributes: the network's name and driver, and the container that joined or left.
    onEvent: (action, network, containerId) =>
      events.emit('network', action, network.id, {
        name: network.name,
        type: network.driver,
        ...(containerId === undefined ? {} : { container: containerId }),
      }),
  });
  const sandboxes: PodSandboxes = new PodSandboxes({
    root,
    daemonTag,
    store: new SandboxStore(db),
    networks,
    containersIn: (id) =>
      store
        .all()
        .filter((e) => e.record.request.sandbox === id)
        .map((e) => ({ id: e.record.id, name: e.record.name })),
    removeContainer: (id): Promise<void> => containers.remove(id, { force: true }),
    logger,
  });
  const networking = new ContainerNetworking(networks, {
    root,
    owners: { container: (idOrName) => store.find(idOrName).record, sandbox: (id) => sandboxes.inspect(id) },
  });
  const runtime = new ConmonRuntime({
    root: runcRoot(root),
    exitDir: exitsDir(root),
    runcPath: options.runcPath ?? 'runc',
    conmonPath: options.conmonPath ?? 'conmon',
    attachHelperPath: options.attachHelperPath,
  });
  const rotator = new LogRotator({
    maxBytes: logMaxBytes,
    maxFiles: options.logMaxFiles ?? defaultLogMaxFiles,
    reopen: (id) => runtime.reopenLog(id),
    intervalMs: logCheckIntervalMs,
    logger,
  });
  const containers = new ContainerServiceImpl({
    root,
    logger,
    store,
    images,
    snapshotter,
    runtime,
    volumes,
    emit: (event) => {
      events.emit(event);
      // An exec does not outlive its container: drop its records when the container is destroyed.
      if (event.type === 'container' && event.action === 'destroy') execs.forgetContainer(event.actor.id);
    },
    buildSpec,
    wasOomKilled: (cgroupsPath) => wasOomKilled(cgroupsPath),
    readCgroupStats: (cgroupsPath) => readCgroupStats(cgroupsPath),
    readLogs,
    logSizeMax: Math.max(2 * logMaxBytes, conmonLogCapFloor),
    logRotation: rotator,
    runProbe: (id, config) => runHealthProbe({ execs, events }, id, config),
    networking,
  });
  const execs = new ExecServiceImpl({
    root,
    store,
    runtime,
    snapshotter,
    emit: (event) => events.emit(event),
  });

  // Subscribe before reconciling, so an exit that lands meanwhile is not missed (exit handling is idempotent).
  const unsubscribe = runtime.onExit((id) => {
    containers.handleExit(id).catch((err) => logger.error({ err, id }, 'recording a container exit failed'));
  });
  const runtimeStates = new Map<string, RuntimeState>();
  for (const id of await runtime.list()) {
    const state = await runtime.state(id);
    if (state) runtimeStates.set(id, state);
  }
  const actions = planReconcile({
    containers: store.all(),
    runtime: runtimeStates,
    snapshots: await snapshotter.list(),
  });
  // Networks first: the bridges, rules and DNS of the containers being re-adopted and of the sandboxes
  // whose namespaces survived, before any other container action starts or stops one on them. Then the
  // sandboxes a crash left half-made go and those a reboot emptied are made again, before their
  // containers start.
  const liveSandboxes = await sandboxes.restoreNamespaces().catch((err: unknown) => {
    logger.error({ err }, 'listing sandbox namespaces failed');
    return [];
  });
  await networking
    .restore(actions.flatMap((a) => (a.kind === 'adopt' ? [{ id: a.id, pid: a.pid }] : [])), liveSandboxes)
    .catch((err) => logger.error({ err }, 'restoring container networking failed'));
  await sandboxes.finishRestore().catch((err) => logger.error({ err }, 'restoring sandboxes failed'));
  await applyReconcile(
    actions,
    {
      adopt: (id, pid) => containers.adopt(id, pid),
      handleExit: (id) => containers.handleExit(id),
      resumeRestart: (id) => containers.resumeRestart(id),
      start: (id) => containers.start(id),
      finishRemoval: (id) => containers.finishRemoval(id),
      deleteRuntime: (id) => runtime.delete(id, { force: true }),
      removeSnapshot: (id) => snapshotter.remove(id),
    },
    logger,
  );
  rotator.start();
  // Layers left by images removed before this version pruned them, or while the daemon was down.
  const firstPrune = layerPruner.request();
  const maintenance = setInterval(() => {
    try {
      db.maintain();
    } catch (err) {
      logger.warn({ err }, 'database maintenance failed');
    }
  }, dbMaintenanceIntervalMs);
  maintenance.unref();

  const info = async (): Promise<SystemInfo> => {
    const all = store.all();
    const running = all.filter((e) => e.record.state.status === 'running').length;
    return {
      version,
      root,
      containers: { total: all.length, running, stopped: all.length - running },
      images: (await images.list()).length,
      runtime: runtime.name,
      cgroupVersion: detectCgroupMode() === 'v2' ? '2' : '1',
      kernel: release(),
      os: await osName(),
      arch: arch(),
      cpus: availableParallelism(),
      memoryBytes: totalmem(),
    };
  };

  return {
    containers,
    execs,
    images,
    volumes,
    networks,
    sandboxes,
    events,
    info,
    diskUsage: diskUsageService({ snapshotter, volumes }),
    storage: { db, content, collector, images, snapshotter },
    async close() {
      clearInterval(maintenance);
      await firstPrune;
      unsubscribe();
      await containers.close();
      await rotator.stop();
      await runtime.close();
      await dns.stopAll();
      db.close();
    },
  };
}

async function osName(): Promise<string> {
  const text = await readTextOrEmpty('/etc/os-release');
  return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? 'Linux';
}
