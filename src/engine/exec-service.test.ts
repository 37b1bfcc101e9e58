import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { StateDb } from '../db/state-db.ts';
import { MarinaError, isMarinaError } from '../errors.ts';
import type { ExecOptions, ExecProcess, Runtime } from '../runtime/runtime.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import { ContainerStore } from './container-store.ts';
import type { ContainerRecord, EngineEvent } from './container-types.ts';
import { ExecServiceImpl, mergeEnv } from './exec-service.ts';

interface FakeExec {
  options: ExecOptions;
  exit: (code: number) => void;
}

function setup(t: { after: (fn: () => void) => void }, execFailure?: Error) {
  const root = mkdtempSync(join(tmpdir(), 'marina-exec-'));
  const db = new StateDb(join(root, 'state.db'));
  t.after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });
  const store = new ContainerStore(db);
  const add = (id: string, running: boolean) =>
    store.insert({
      record: {
        id,
        name: `name-${id}`,
        created: new Date().toISOString(),
        imageId: 'sha256:x',
        request: { image: 'busybox' },
        env: ['PATH=/bin', 'MODE=container'],
        workingDir: '/srv',
        user: '',
        state: { running },
      } as unknown as ContainerRecord,
      explicitlyStopped: false,
      anonymousVolumes: [],
      stopSignal: 'SIGTERM',
      publish: [],
    });
  add('a'.repeat(64), true);
  add('b'.repeat(64), false);
  const execs: FakeExec[] = [];
  const runtime = {
    async exec(_id: string, _bundle: string, options: ExecOptions): Promise<ExecProcess> {
      if (execFailure) throw execFailure;
      let exit!: (code: number) => void;
      const exited = new Promise<number>((resolve) => {
        exit = resolve;
      });
      execs.push({ options, exit });
      return {
        execId: options.execId,
        stdio: { output: new PassThrough({ objectMode: true }), input: undefined, close: () => {} },
        wait: () => exited,
        resize: async () => {},
      };
    },
  } as unknown as Runtime;
  const snapshotter = { mount: async () => join(root, 'rootfs') } as unknown as Snapshotter;
  const events: EngineEvent[] = [];
  const service = new ExecServiceImpl({ root, store, runtime, snapshotter, emit: (e) => events.push(e) });
  return { service, execs, events };
}

const settle = () => new Promise((r) => setImmediate(r));

test('exec in a stopped container is a Conflict and records nothing', async (t) => {
  const { service, events } = setup(t);
  await assert.rejects(
    service.create('b'.repeat(64), { cmd: ['true'] }),
    (err) => isMarinaError(err, 'Conflict') && err.message === `Container ${'b'.repeat(64)} is not running`,
  );
  await assert.rejects(service.create('a'.repeat(64), { cmd: [] }), (err) => isMarinaError(err, 'Invalid'));
  assert.deepEqual(events, []);
});

test('create, start, exit: the record and the events follow the process', async (t) => {
  const { service, execs, events } = setup(t);
  const exec = await service.create('a'.repeat(64), { cmd: ['sh', '-c', 'exit 3'], env: ['MODE=exec'], tty: true });
  assert.match(exec.id, /^[0-9a-f]{64}$/);
  assert.deepEqual(await service.inspect(exec.id), { ...exec, running: false, exitCode: null });
  const stdio = await service.start(exec.id);
  assert.equal(stdio.tty, true);
  const [run] = execs;
  assert.deepEqual(run?.options.env, ['PATH=/bin', 'MODE=exec']);
  assert.equal(run?.options.cwd, '/srv');
  assert.deepEqual(run?.options.user, { uid: 0, gid: 0, additionalGids: [] });
  assert.equal((await service.inspect(exec.id)).running, true);
  await assert.rejects(service.start(exec.id), (err) => isMarinaError(err, 'Conflict'));
  run!.exit(3);
  await settle();
  assert.deepEqual(await service.inspect(exec.id), { ...exec, running: false, exitCode: 3 });
  assert.deepEqual(
    events.map((e) => [e.action, e.actor.attributes.exitCode]),
    [
      ['exec_create', undefined],
      ['exec_start', undefined],
      ['exec_die', '3'],
    ],
  );
  await assert.rejects(service.resize(exec.id, { height: 10, width: 10 }), (err) => isMarinaError(err, 'Conflict'));
});

test('a command that cannot run keeps the exit code the runtime reported', async (t) => {
  const notFound = new MarinaError('Invalid', 'exec: "nope": executable file not found', { details: { exitCode: 127 } });
  const { service, events } = setup(t, notFound);
  const exec = await service.create('a'.repeat(64), { cmd: ['nope'] });
  await assert.rejects(service.start(exec.id), (err) => err === notFound);
  assert.deepEqual(await service.inspect(exec.id), { ...exec, running: false, exitCode: 127 });
  assert.deepEqual(
    events.map((e) => e.action),
    ['exec_create'],
  );
});

test('records are dropped when the container is forgotten, and 5 minutes after exit', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { service, execs } = setup(t);
  const gone = await service.create('a'.repeat(64), { cmd: ['true'] });
  service.forgetContainer('a'.repeat(64));
  await assert.rejects(service.inspect(gone.id), (err) => isMarinaError(err, 'NotFound'));
  const exec = await service.create('a'.repeat(64), { cmd: ['true'] });
  await service.start(exec.id);
  execs[0]!.exit(0);
  await settle();
  t.mock.timers.tick(5 * 60_000 - 1);
  assert.equal((await service.inspect(exec.id)).exitCode, 0);
  t.mock.timers.tick(1);
  await assert.rejects(service.inspect(exec.id), (err) => isMarinaError(err, 'NotFound'));
});

test('mergeEnv replaces same-named variables instead of appending duplicates', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4']), ['A=1', 'B=3', 'C=4']);
});
