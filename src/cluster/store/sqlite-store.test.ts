import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateDb } from '../../db/state-db.ts';
import { isMarinaError } from '../../errors.ts';
import { SqliteStore, type SqliteStoreOptions, prefixEnd } from './sqlite-store.ts';
import { storeContract, take } from './store-contract.ts';

function openSqlite(options: SqliteStoreOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'marina-store-'));
  const db = new StateDb(join(dir, 'state.db'));
  const store = new SqliteStore(db, { compactEveryMs: 0, ...options });
  return {
    db,
    dir,
    store,
    async dispose() {
      await store.close();
      db.sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeContract('sqlite', async () => openSqlite());

test('prefixEnd bounds exactly the keys that start with the prefix', () => {
  assert.equal(prefixEnd('/pods/ns1/'), '/pods/ns10');
  assert.ok('/pods/ns1/zzz' < prefixEnd('/pods/ns1/'));
  assert.ok(!('/pods/ns10/a' < prefixEnd('/pods/ns1/')));
});

test('sqlite store: changes survive reopening the database, revisions continue', async () => {
  const first = openSqlite();
  await first.store.create('/a', 1);
  await first.store.update('/a', 2);
  await first.store.close();
  first.db.sqlite.close();
  const db = new StateDb(join(first.dir, 'state.db'));
  const store = new SqliteStore(db, { compactEveryMs: 0 });
  try {
    assert.deepEqual(await store.get('/a'), { key: '/a', value: 2, createRevision: 1, modRevision: 2 });
    assert.equal((await store.create('/b', 3)).modRevision, 3);
  } finally {
    await store.close();
    db.sqlite.close();
    rmSync(first.dir, { recursive: true, force: true });
  }
});

test('sqlite store: a watch from before the compacted history is Expired; after it, fine', async () => {
  let now = 1_000_000;
  const fixture = openSqlite({ retentionMs: 1000, now: () => now });
  try {
    const { store } = fixture;
    await store.create('/a', 1);
    await store.create('/b', 2);
    now += 5000;
    await store.create('/c', 3);
    store.compact();
    const controller = new AbortController();
    await assert.rejects(take(store.watch('/', 0, controller.signal), 1), (err) => isMarinaError(err, 'Expired'));
    const after = await take(store.watch('/', 2, controller.signal), 1);
    controller.abort();
    assert.deepEqual(after.map((e) => e.kv.key), ['/c']);
  } finally {
    await fixture.dispose();
  }
});

test('sqlite store: a watcher that falls too far behind is ended with Expired, others carry on', async () => {
  const fixture = openSqlite({ watchCapacity: 3 });
  try {
    const { store } = fixture;
    const controller = new AbortController();
    const slow = store.watch('/', 0, controller.signal);
    for (let i = 0; i < 5; i++) await store.create(`/k${i}`, i);
    await assert.rejects(take(slow, 5), (err) => isMarinaError(err, 'Expired'));
    const fresh = await take(store.watch('/', 0, controller.signal), 5);
    controller.abort();
    assert.equal(fresh.length, 5);
  } finally {
    await fixture.dispose();
  }
});
