import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateDb } from '../db/state-db.ts';
import { isMarinaError } from '../errors.ts';
import { VolumeStore, type VolumeStoreOptions } from './volume-store.ts';

function setup(t: { after: (fn: () => void) => void }, options: Partial<VolumeStoreOptions> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'marina-volumes-'));
  const db = new StateDb(join(root, 'state.db'));
  t.after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });
  const events: string[] = [];
  const inUse = new Map<string, string[]>();
  const store = new VolumeStore(db, root, {
    isInUse: (name) => inUse.get(name) ?? [],
    onEvent: (action, name) => events.push(`${action} ${name}`),
    ...options,
  });
  return { root, db, store, events, inUse };
}

test('create makes <root>/volumes/<name>/_data with mode 0755 and a record', async (t) => {
  const { root, store, events } = setup(t);
  const volume = await store.create('data', { labels: { app: 'web' } });
  assert.equal(volume.mountpoint, join(root, 'volumes/data/_data'));
  assert.equal(statSync(volume.mountpoint).mode & 0o777, 0o755);
  assert.deepEqual(
    { driver: volume.driver, labels: volume.labels, anonymous: volume.anonymous },
    { driver: 'local', labels: { app: 'web' }, anonymous: false },
  );
  assert.deepEqual(await store.inspect('data'), volume);
  assert.deepEqual(events, ['create data']);
});

test('create of an existing name returns it unchanged', async (t) => {
  const { store, events } = setup(t);
  const first = await store.create('data', { labels: { a: '1' } });
  writeFileSync(join(first.mountpoint, 'kept'), 'x');
  const again = await store.create('data', { labels: { b: '2' } });
  assert.deepEqual(again, first);
  assert.ok(existsSync(join(first.mountpoint, 'kept')));
  assert.deepEqual(events, ['create data']);
});

test('anonymous volumes get 64-hex names', async (t) => {
  const { store } = setup(t);
  const volume = await store.create(undefined);
  assert.match(volume.name, /^[0-9a-f]{64}$/);
  assert.equal(volume.anonymous, true);
});

test('bad names are Invalid, say the rule, and change nothing', async (t) => {
  const { root, store } = setup(t);
  for (const name of ['a', '-lead', 'has space', '../etc', 'x/y']) {
    await assert.rejects(store.create(name), (err) => isMarinaError(err, 'Invalid') && err.message.includes('[a-zA-Z0-9][a-zA-Z0-9_.-]+'));
  }
  assert.deepEqual(await store.list(), []);
  assert.equal(existsSync(join(root, 'volumes')), false);
});

test('remove of a used volume is a Conflict naming the containers, unless forced', async (t) => {
  const { store, inUse, events } = setup(t);
  const volume = await store.create('data');
  inUse.set('data', ['c1', 'c2']);
  await assert.rejects(
    store.remove('data'),
    (err) => isMarinaError(err, 'Conflict') && err.message.startsWith('remove data: volume is in use - [c1, c2]'),
  );
  assert.ok(existsSync(volume.mountpoint));
  await store.remove('data', { force: true });
  assert.equal(existsSync(join(volume.mountpoint, '..')), false);
  await assert.rejects(store.inspect('data'), (err) => isMarinaError(err, 'NotFound'));
  await assert.rejects(store.remove('data'), (err) => isMarinaError(err, 'NotFound'));
  await store.remove('data', { force: true });
  assert.deepEqual(events, ['create data', 'destroy data']);
});

test('isInUse may answer with a plain boolean', async (t) => {
  const { store } = setup(t, { isInUse: (name) => name === 'busy' });
  await store.create('busy');
  await assert.rejects(store.remove('busy'), (err) => isMarinaError(err, 'Conflict'));
});

test('prune removes only unused volumes and returns their names', async (t) => {
  const { store, inUse } = setup(t);
  await store.create('keep');
  await store.create('drop');
  const anonymous = await store.create(undefined);
  inUse.set('keep', ['c1']);
  assert.deepEqual((await store.prune()).sort(), ['drop', anonymous.name].sort());
  assert.deepEqual(
    (await store.list()).map((v) => v.name),
    ['keep'],
  );
});

test('reconcile finishes interrupted removals, recreates missing directories, deletes orphans', async (t) => {
  const { root, db, store } = setup(t);
  const kept = await store.create('kept');
  const lost = await store.create('lost');
  const halfRemoved = await store.create('half');
  rmSync(join(lost.mountpoint, '..'), { recursive: true });
  db.run('UPDATE volumes SET removing = 1 WHERE name = ?', 'half');
  mkdirSync(join(root, 'volumes/orphan/_data'), { recursive: true });
  writeFileSync(join(kept.mountpoint, 'file'), 'x');

  await store.reconcile();

  assert.ok(existsSync(join(kept.mountpoint, 'file')));
  assert.ok(existsSync(lost.mountpoint));
  assert.equal(existsSync(join(halfRemoved.mountpoint, '..')), false);
  assert.equal(existsSync(join(root, 'volumes/orphan')), false);
  assert.deepEqual(
    (await store.list()).map((v) => v.name),
    ['kept', 'lost'],
  );
});

test('a volume being removed is invisible and cannot be recreated meanwhile', async (t) => {
  const { db, store } = setup(t);
  await store.create('going');
  db.run('UPDATE volumes SET removing = 1 WHERE name = ?', 'going');
  await assert.rejects(store.inspect('going'), (err) => isMarinaError(err, 'NotFound'));
  await assert.rejects(store.create('going'), (err) => isMarinaError(err, 'Conflict'));
});

test('prune with anonymousOnly keeps named volumes, as Docker does since API 1.42', async (t) => {
  const { store, inUse } = setup(t);
  await store.create('named');
  const unused = await store.create(undefined);
  const used = await store.create(undefined);
  inUse.set(used.name, ['c1']);
  assert.deepEqual(await store.prune({ anonymousOnly: true }), [unused.name]);
  assert.deepEqual((await store.list()).map((v) => v.name).sort(), ['named', used.name].sort());
});
