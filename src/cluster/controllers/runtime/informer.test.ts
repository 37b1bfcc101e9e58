import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openTestCluster, widgets } from '../../apiserver/test-cluster.ts';
import { eventually } from '../test-eventually.ts';
import { Informer } from './informer.ts';

test('Informer: selectors go to the API server on list and watch; an object entering or leaving them is added or deleted', async (t) => {
  const cluster = await openTestCluster();
  const stop = new AbortController();
  t.after(async () => {
    stop.abort();
    await cluster.dispose();
  });
  const labelled = (name: string, node: string) => ({ metadata: { name, labels: { node } } });
  await cluster.api.create(widgets, 'default', labelled('mine', 'a'));
  await cluster.api.create(widgets, 'default', labelled('other', 'b'));

  const seen: string[] = [];
  const informer = new Informer(cluster.api, widgets, { selectors: { labelSelector: 'node=a' }, retryDelayMs: 10 });
  informer.on({
    added: (o) => seen.push(`added ${o.metadata.name}`),
    deleted: (o) => seen.push(`deleted ${o.metadata.name}`),
  });
  const running = informer.run(stop.signal);
  await informer.synced();
  assert.deepEqual(informer.list().map((o) => o.metadata.name), ['mine']);

  const other = await cluster.api.get(widgets, 'default', 'other');
  await cluster.api.update(widgets, 'default', 'other', { ...other, metadata: { ...other.metadata, labels: { node: 'a' } } });
  await eventually(() => informer.get('default', 'other'), 'the relabelled object in the cache');
  const mine = await cluster.api.get(widgets, 'default', 'mine');
  await cluster.api.update(widgets, 'default', 'mine', { ...mine, metadata: { ...mine.metadata, labels: { node: 'b' } } });
  await eventually(() => informer.get('default', 'mine') === undefined, 'the object that left the selector gone');
  assert.deepEqual(seen, ['added mine', 'added other', 'deleted mine']);
  stop.abort();
  await running;
});
