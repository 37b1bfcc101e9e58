/**
 * The container service's own decisions (state transitions, waits, policies, conflicts), with the
 * kernel-facing roles replaced by in-memory ones. The real runtime and snapshotter are exercised by the
 * system tests under test/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, test } from 'node:test';
import pino from 'pino';
import type { Digest } from '../content/content-store.ts';
import type { NetworkInspect, NetworkService } from '../network/network-service.ts';
import { StateDb } from '../db/state-db.ts';
import { MarinaError, isMarinaError, notFound } from '../errors.ts';
import type { ImageRecord } from '../image/image-types.ts';
import type { OciSpec } from '../runtime/oci-spec.ts';
import type { Runtime, RuntimeCreateOptions, RuntimeState } from '../runtime/runtime.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import type { VolumeRecord, VolumeService } from '../volume/volume-service.ts';
import { ContainerNetworking } from './container-network.ts';
import { ContainerServiceImpl } from './container-service.ts';
import { ContainerStore } from './container-store.ts';
import type { EngineEvent, HealthcheckConfig, HealthProbeResult } from './container-types.ts';

const image: ImageRecord = {
  id: `sha256:${'1'.repeat(64)}` as Digest,
  manifestDigest: `sha256:${'2'.repeat(64)}` as Digest,
  manifest: { schemaVersion: 2, config: { mediaType: 'x', digest: `sha256:${'1'.repeat(64)}`, size: 1 }, layers: [] },
  config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], StopSignal: 'SIGQUIT' }, rootfs: { type: 'layers', diff_ids: [] } },
  names: ['docker.io/library/busybox:latest'],
  size: 0,
  created: '',
};

class MemoryRuntime implements Runtime {
  readonly name = 'memory';
  readonly states = new Map<string, RuntimeState>();
  readonly exitCodes = new Map<string, number>();
  readonly signals: string[] = [];
  readonly created: RuntimeCreateOptions[] = [];
  createFailure: MarinaError | undefined;
  private readonly listeners = new Set<(id: string) => void>();
  private nextPid = 100;

  async create(options: RuntimeCreateOptions) {
    if (this.createFailure) throw this.createFailure;
    this.created.push(options);
    this.exitCodes.delete(options.id);
    const pid = this.nextPid++;
    this.states.set(options.id, { id: options.id, status: 'created', pid, monitorPid: 1 });
    return { pid };
  }
  async start(id: string) {
    this.states.get(id)!.status = 'running';
  }
  async kill(id: string, signal: string) {
    this.signals.push(`${id.slice(0, 4)}:${signal}`);
    if (signal === 'KILL') this.exit(id, 137);
  }
  async delete(id: string) {
    this.states.delete(id);
  }
  async state(id: string) {
    return this.states.get(id);
  }
  async exitCode(id: string) {
    return this.exitCodes.get(id);
  }
  onExit(listener: (id: string) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async list() {
    return [...this.states.keys()];
  }
  async attach() {
    return { output: new PassThrough({ objectMode: true }), input: undefined, close() {} };
  }
  async resize() {}
  async reopenLog() {}
  async exec(): Promise<never> {
    throw new Error('not used');
  }
  async close() {}
  /** The container's process ends with `code`, as conmon would report it. */
  exit(id: string, code: number) {
    const state = this.states.get(id);
    if (!state) return;
    state.status = 'stopped';
    this.exitCodes.set(id, code);
    for (const l of this.listeners) l(id);
  }
}

function memorySnapshotter(root: string): Snapshotter & { keys: Set<string> } {
  const keys = new Set<string>();
  return {
    keys,
    async ensureLayers() {},
    async prepare(key) {
      keys.add(key);
    },
    async mount(key) {
      const dir = join(root, 'rootfs', key);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    async unmount() {},
    async remove(key) {
      keys.delete(key);
    },
    diff() {
      throw new Error('the container service never diffs a snapshot');
    },
    async commit() {
      throw new Error('the container service never commits a snapshot');
    },
    async list() {
      return [...keys];
    },
    async pruneLayers() {
      return [];
    },
    async usage() {
      return 0;
    },
  };
}

function memoryVolumes(): VolumeService & { names: Set<string> } {
  const names = new Set<string>();
  let n = 0;
  const record = (name: string): VolumeRecord => ({
    name,
    driver: 'local',
    mountpoint: `/volumes/${name}/_data`,
    createdAt: '',
    labels: {},
    anonymous: name.startsWith('anon'),
  });
  return {
    names,
    async create(name) {
      const v = name ?? `anon${n++}`;
      names.add(v);
      return record(v);
    },
    async list() {
      return [...names].map(record);
    },
    async inspect(name) {
      if (!names.has(name)) throw notFound(`no such volume: ${name}`);
      return record(name);
    },
    async remove(name) {
      names.delete(name);
    },
    async prune() {
      return [];
    },
  };
}

/** The default network only; joining it yields no endpoints (the bridge driver is tested on the real kernel). */
function memoryNetworks(): NetworkService {
  const none = async () => {};
  const networks: Partial<NetworkService> = {
    inspect: async (name) => {
      if (name !== 'bridge') throw notFound(`network ${name} not found`);
      return {} as NetworkInspect;
    },
    checkPortsFree: none,
    attach: async () => ({ endpoints: [], ports: [], nameservers: [] }),
    detach: none,
    release: none,
    reconcile: none,
  };
  return networks as NetworkService;
}

let dir: string;
let db: StateDb;
let runtime: MemoryRuntime;
let snapshots: ReturnType<typeof memorySnapshotter>;
let volumes: ReturnType<typeof memoryVolumes>;
let events: EngineEvent[];
let svc: ContainerServiceImpl;
/** What every health probe reports; tests replace it. */
let probeExitCode: number;
const probe = async (_config: HealthcheckConfig): Promise<HealthProbeResult> => {
  const now = new Date().toISOString();
  return { start: now, end: now, exitCode: probeExitCode, output: `exit ${probeExitCode}` };
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'marina-svc-'));
  db = new StateDb(join(dir, 'state.db'));
  runtime = new MemoryRuntime();
  snapshots = memorySnapshotter(dir);
  volumes = memoryVolumes();
  events = [];
  probeExitCode = 0;
  svc = new ContainerServiceImpl({
    root: dir,
    logger: pino({ level: 'silent' }),
    store: new ContainerStore(db),
    images: {
      resolve: async (ref) => {
        if (ref !== 'busybox') throw notFound(`No such image: ${ref}`);
        return image;
      },
      layerSources: () => [],
    },
    snapshotter: snapshots,
    runtime,
    volumes,
    emit: (e) => events.push(e),
    buildSpec: (input) => ({ ociVersion: '1.0.2', process: { args: input.args } }) as unknown as OciSpec,
    wasOomKilled: async () => false,
    readCgroupStats: async () => {
      throw new Error('not used');
    },
    readLogs: () => Readable.from([]),
    networking: new ContainerNetworking(memoryNetworks()),
    logSizeMax: 1024,
    logRotation: { track() {}, untrack() {} },
    runProbe: (_id, config) => probe(config),
  });
  runtime.onExit((id) => void svc.handleExit(id));
});

afterEach(async () => {
  await svc.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const actions = () => events.map((e) => e.action);
const settle = () => new Promise((r) => setTimeout(r, 5));
async function until(probe: () => Promise<boolean>): Promise<void> {
  while (!(await probe())) await settle();
}

test('create → start → exit: states, exit code, events, waiters', async () => {
  const c = await svc.create({ image: 'busybox', name: 'web', cmd: ['echo', 'hi'] });
  assert.equal(c.state.status, 'created');
  assert.deepEqual([c.path, ...c.args], ['echo', 'hi']);
  assert.ok(snapshots.keys.has(c.id));
  const nextExit = svc.wait('web', 'next-exit');
  await svc.start('web');
  assert.equal((await svc.inspect('web')).state.status, 'running');
  await assert.rejects(svc.start('web'), (e) => isMarinaError(e, 'NotModified'));
  runtime.exit(c.id, 3);
  assert.deepEqual(await nextExit, { exitCode: 3 });
  const after = await svc.inspect('web');
  assert.equal(after.state.status, 'exited');
  assert.equal(after.state.exitCode, 3);
  assert.deepEqual(await svc.wait('web', 'not-running'), { exitCode: 3 });
  assert.deepEqual(actions(), ['create', 'start', 'die']);
  assert.equal(events[2]?.actor.attributes.exitCode, '3');
});

test('bad create input changes nothing', async () => {
  await svc.create({ image: 'busybox', name: 'taken' });
  await assert.rejects(svc.create({ image: 'busybox', name: 'taken' }), (e) => isMarinaError(e, 'Conflict'));
  await assert.rejects(svc.create({ image: 'nope' }), (e) => isMarinaError(e, 'NotFound'));
  await assert.rejects(svc.create({ image: 'busybox', name: 'x' }), (e) => isMarinaError(e, 'Invalid'));
  await assert.rejects(
    svc.create({ image: 'busybox', autoRemove: true, restartPolicy: { name: 'always' } }),
    (e) => isMarinaError(e, 'Invalid'),
  );
  await assert.rejects(svc.create({ image: 'busybox', networkMode: 'nosuchnet' }), (e) => isMarinaError(e, 'NotFound'));
  await assert.rejects(svc.create({ image: 'busybox', networkMode: 'container:web' }), (e) => isMarinaError(e, 'Unsupported'));
  await assert.rejects(
    svc.create({ image: 'busybox', networkMode: 'none', ports: [{ protocol: 'tcp', containerPort: 80 }] }),
    (e) => isMarinaError(e, 'Invalid'),
  );
  await assert.rejects(svc.create({ image: 'busybox', extraHosts: ['bad'] }), (e) => isMarinaError(e, 'Invalid'));
  assert.equal((await svc.list({ all: true })).length, 1);
  assert.equal(snapshots.keys.size, 1);
  assert.equal(volumes.names.size, 0);
});

test('a start failure with an exit code leaves the container created with that code; --rm removes it', async () => {
  runtime.createFailure = new MarinaError('Invalid', 'cannot run "nope": executable file not found in $PATH', {
    details: { exitCode: 127 },
  });
  const c = await svc.create({ image: 'busybox', name: 'broken', cmd: ['nope'] });
  await assert.rejects(svc.start('broken'), (e) => isMarinaError(e, 'Invalid') && e.details?.exitCode === 127);
  const state = (await svc.inspect(c.id)).state;
  assert.equal(state.status, 'created');
  assert.equal(state.exitCode, 127);
  assert.match(state.error, /nope/);

  const gone = await svc.create({ image: 'busybox', cmd: ['nope'], autoRemove: true });
  const removed = svc.wait(gone.id, 'removed');
  await assert.rejects(svc.start(gone.id));
  assert.deepEqual(await removed, { exitCode: 127 });
  await assert.rejects(svc.inspect(gone.id), (e) => isMarinaError(e, 'NotFound'));
});

test('on-failure:2 restarts twice (after 100 and 200 ms backoff) then leaves it exited', async () => {
  const c = await svc.create({ image: 'busybox', restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } });
  await svc.start(c.id);
  for (let run = 1; run <= 3; run++) {
    await until(async () => (await svc.inspect(c.id)).state.status === 'running');
    runtime.exit(c.id, 1);
    await svc.wait(c.id, 'not-running');
  }
  await settle();
  const state = (await svc.inspect(c.id)).state;
  assert.equal(state.status, 'exited');
  assert.equal(state.restartCount, 2);
  assert.deepEqual(actions().filter((a) => a === 'start' || a === 'restart'), ['start', 'restart', 'start', 'restart', 'start']);
});

test('stop uses the image stop signal, marks the container stopped by the user, and policies leave it alone', async () => {
  const c = await svc.create({ image: 'busybox', restartPolicy: { name: 'always' } });
  await svc.start(c.id);
  const stopping = svc.stop(c.id, { timeoutSeconds: 0 });
  await stopping;
  assert.deepEqual(runtime.signals, [`${c.id.slice(0, 4)}:SIGQUIT`, `${c.id.slice(0, 4)}:KILL`]);
  await settle();
  const state = (await svc.inspect(c.id)).state;
  assert.equal(state.status, 'exited');
  assert.equal(state.exitCode, 137);
  assert.equal(state.restartCount, 0);
  await assert.rejects(svc.stop(c.id), (e) => isMarinaError(e, 'NotModified'));
  await assert.rejects(svc.kill(c.id), (e) => isMarinaError(e, 'Conflict'));
});

test('remove: refused while running, forced removal kills; anonymous volumes go with -v', async () => {
  const c = await svc.create({ image: 'busybox', mounts: [{ type: 'volume', target: '/data' }, { type: 'volume', name: 'keep', target: '/keep' }] });
  assert.deepEqual([...volumes.names].sort(), ['anon0', 'keep']);
  await svc.start(c.id);
  await assert.rejects(svc.remove(c.id), (e) => isMarinaError(e, 'Conflict') && e.message.includes('cannot remove a running container'));
  const removed = svc.wait(c.id, 'removed');
  await svc.remove(c.id, { force: true, removeVolumes: true });
  assert.deepEqual(await removed, { exitCode: 137 });
  assert.deepEqual([...volumes.names], ['keep']);
  assert.equal(snapshots.keys.size, 0);
  assert.deepEqual(actions().slice(-2), ['die', 'destroy']);
});

test('--rm removes the container after it exits; wait removed gets the exit code', async () => {
  const c = await svc.create({ image: 'busybox', autoRemove: true });
  const removed = svc.wait(c.id, 'removed');
  await svc.start(c.id);
  runtime.exit(c.id, 4);
  assert.deepEqual(await removed, { exitCode: 4 });
  assert.deepEqual(await svc.list({ all: true }), []);
});

test('wait honours its abort signal', async () => {
  const c = await svc.create({ image: 'busybox' });
  await svc.start(c.id);
  const controller = new AbortController();
  const waiting = svc.wait(c.id, 'next-exit', controller.signal);
  controller.abort(new Error('client went away'));
  await assert.rejects(waiting, /client went away/);
  await svc.remove(c.id, { force: true });
});

test('a container that turns unhealthy is stopped with its stop signal and restarted, counted, and probed again', async () => {
  probeExitCode = 1;
  const c = await svc.create({
    image: 'busybox',
    stopTimeout: 0,
    healthcheck: { test: ['CMD', 'check'], intervalMs: 20, retries: 2 },
  });
  await svc.start(c.id);
  assert.equal((await svc.inspect(c.id)).state.health?.status, 'starting');
  await until(async () => (await svc.inspect(c.id)).state.restartCount === 1 && actions().at(-1) === 'start');
  probeExitCode = 0;
  const short = c.id.slice(0, 4);
  assert.deepEqual(runtime.signals, [`${short}:SIGQUIT`, `${short}:KILL`]);
  assert.deepEqual(actions(), ['create', 'start', 'health_status: unhealthy', 'die', 'restart', 'start']);
  await until(async () => (await svc.inspect(c.id)).state.health?.status === 'healthy');
  const state = (await svc.inspect(c.id)).state;
  assert.equal(state.restartCount, 1);
  assert.deepEqual(
    state.health?.log.map((r) => r.exitCode),
    [1, 1, 0],
  );
  await svc.stop(c.id, { timeoutSeconds: 0 });
  await settle();
  assert.equal((await svc.inspect(c.id)).state.status, 'exited');
  assert.equal(actions().filter((a) => a.startsWith('health')).length, 2);
});

test('with onFailure none an unhealthy container is only marked, and a success makes it healthy again', async () => {
  probeExitCode = 1;
  const c = await svc.create({
    image: 'busybox',
    healthcheck: { test: ['CMD-SHELL', 'check'], intervalMs: 5, retries: 1, onFailure: 'none' },
  });
  assert.deepEqual(c.healthcheck?.command, ['/bin/sh', '-c', 'check']);
  await svc.start(c.id);
  await until(async () => (await svc.inspect(c.id)).state.health?.status === 'unhealthy');
  assert.match((await svc.list())[0]!.statusText, /^Up .* \(unhealthy\)$/);
  probeExitCode = 0;
  await until(async () => (await svc.inspect(c.id)).state.health?.status === 'healthy');
  const state = (await svc.inspect(c.id)).state;
  assert.equal(state.status, 'running');
  assert.equal(state.restartCount, 0);
  assert.deepEqual(
    actions().filter((a) => a.startsWith('health')),
    ['health_status: unhealthy', 'health_status: healthy'],
  );
  assert.deepEqual(runtime.signals, []);
  await svc.remove(c.id, { force: true });
});
