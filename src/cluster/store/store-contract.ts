/**
 * What every Store must do, as a suite any implementation runs (the SQLite store now, an etcd store
 * later): `storeContract('sqlite', () => …)` from that implementation's test file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import type { Store, WatchEvent } from './store.ts';

export interface StoreFixture {
  store: Store;
  dispose(): Promise<void>;
}

/** Reads `count` events from a watch (or fewer, when it ends first). */
export async function take<T>(events: AsyncIterable<T>, count: number): Promise<T[]> {
  const taken: T[] = [];
  if (count === 0) return taken;
  for await (const event of events) {
    taken.push(event);
    if (taken.length === count) break;
  }
  return taken;
}

const summary = (e: WatchEvent) => `${e.type} ${e.kv.key} ${JSON.stringify(e.kv.value)} @${e.kv.modRevision}`;

export function storeContract(name: string, open: () => Promise<StoreFixture>): void {
  const withStore = (title: string, fn: (store: Store) => Promise<void>) =>
    test(`${name} store: ${title}`, async () => {
      const fixture = await open();
      try {
        await fn(fixture.store);
      } finally {
        await fixture.dispose();
      }
    });

  withStore('create, get, update and delete move one revision each', async (store) => {
    const start = await store.revision();
    const created = await store.create('/a/x', { n: 1 });
    assert.deepEqual(created, { key: '/a/x', value: { n: 1 }, createRevision: start + 1, modRevision: start + 1 });
    const updated = await store.update('/a/x', { n: 2 }, created.modRevision);
    assert.deepEqual(updated, { key: '/a/x', value: { n: 2 }, createRevision: start + 1, modRevision: start + 2 });
    assert.deepEqual(await store.get('/a/x'), updated);
    const deleted = await store.delete('/a/x');
    assert.equal(deleted.modRevision, start + 3);
    assert.deepEqual(deleted.value, { n: 2 });
    assert.equal(await store.get('/a/x'), undefined);
    assert.equal(await store.revision(), start + 3);
  });

  withStore('create of an existing key is a Conflict and changes nothing', async (store) => {
    await store.create('/a/x', { n: 1 });
    const revision = await store.revision();
    await assert.rejects(store.create('/a/x', { n: 2 }), (err) => isMarinaError(err, 'Conflict'));
    assert.deepEqual((await store.get('/a/x'))?.value, { n: 1 });
    assert.equal(await store.revision(), revision);
  });

  withStore('update and delete with a stale revision are Conflicts; of a missing key NotFound', async (store) => {
    const first = await store.create('/a/x', { n: 1 });
    await store.update('/a/x', { n: 2 });
    await assert.rejects(store.update('/a/x', { n: 3 }, first.modRevision), (err) => isMarinaError(err, 'Conflict'));
    await assert.rejects(store.delete('/a/x', first.modRevision), (err) => isMarinaError(err, 'Conflict'));
    assert.deepEqual((await store.get('/a/x'))?.value, { n: 2 });
    await assert.rejects(store.update('/a/missing', {}), (err) => isMarinaError(err, 'NotFound'));
    await assert.rejects(store.delete('/a/missing'), (err) => isMarinaError(err, 'NotFound'));
  });

  withStore('list returns the keys under a prefix in key order, with the revision it read at', async (store) => {
    await store.create('/pods/ns1/b', 2);
    await store.create('/pods/ns1/a', 1);
    await store.create('/pods/ns10/c', 3);
    await store.create('/pods/ns2/d', 4);
    const ns1 = await store.list('/pods/ns1/');
    assert.deepEqual(
      ns1.items.map((kv) => kv.key),
      ['/pods/ns1/a', '/pods/ns1/b'],
    );
    assert.equal(ns1.revision, await store.revision());
    assert.equal((await store.list('/pods/')).items.length, 4);
    assert.deepEqual((await store.list('/nodes/')).items, []);
  });

  withStore('a watch replays the changes after a revision, then delivers live ones in order', async (store) => {
    const start = await store.revision();
    await store.create('/pods/a', 1);
    await store.create('/nodes/n', 'n');
    await store.update('/pods/a', 2);
    const controller = new AbortController();
    const events = store.watch('/pods/', start, controller.signal);
    const live = (async () => {
      await store.create('/pods/b', 3);
      await store.delete('/pods/a');
    })();
    const seen = await take(events, 4);
    await live;
    controller.abort();
    assert.deepEqual(seen.map(summary), [
      `put /pods/a 1 @${start + 1}`,
      `put /pods/a 2 @${start + 3}`,
      `put /pods/b 3 @${start + 4}`,
      `delete /pods/a 2 @${start + 5}`,
    ]);
    assert.deepEqual(seen[1]!.previous?.value, 1);
    assert.equal(seen[0]!.previous, undefined);
  });

  withStore('a watch from a list revision misses nothing and repeats nothing', async (store) => {
    await store.create('/pods/a', 1);
    const listed = await store.list('/pods/');
    await store.create('/pods/b', 2);
    const controller = new AbortController();
    const seen = await take(store.watch('/pods/', listed.revision, controller.signal), 1);
    controller.abort();
    assert.deepEqual(seen.map((e) => e.kv.key), ['/pods/b']);
  });

  withStore('aborting a watch ends it', async (store) => {
    const controller = new AbortController();
    const events = store.watch('/pods/', await store.revision(), controller.signal);
    const reading = take(events, 5);
    controller.abort();
    assert.deepEqual(await reading, []);
  });

  withStore('values handed out are copies: changing one changes neither the store nor other readers', async (store) => {
    const controller = new AbortController();
    const one = store.watch('/x', await store.revision(), controller.signal);
    const two = store.watch('/x', await store.revision(), controller.signal);
    const created = await store.create('/x', { list: [1] });
    (created.value as { list: number[] }).list.push(2);
    const [a] = await take(one, 1);
    (a!.kv.value as { list: number[] }).list.push(3);
    const [b] = await take(two, 1);
    controller.abort();
    assert.deepEqual(b!.kv.value, { list: [1] });
    assert.deepEqual((await store.get('/x'))?.value, { list: [1] });
  });
}
