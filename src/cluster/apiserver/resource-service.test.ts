import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import type { SqliteStore } from '../store/sqlite-store.ts';
import { take } from '../store/store-contract.ts';
import type { KubeObject } from './api-kind.ts';
import type { ObjectEvent, ResourceService } from './resource-service.ts';
import { namespaces, openTestCluster, pods, type TestCluster, widgets } from './test-cluster.ts';

let cluster: TestCluster;
let store: SqliteStore;
let api: ResourceService;

beforeEach(async () => {
  cluster = await openTestCluster(() => new Date('2026-01-02T03:04:05.678Z'));
  ({ store, api } = cluster);
});

afterEach(() => cluster.dispose());

test('create sets what the server owns, admits, and reads back with its resourceVersion', async () => {
  const { object } = await api.create(widgets, 'default', {
    metadata: { name: 'w', uid: 'mine', resourceVersion: '99' },
    spec: {},
  });
  assert.equal(object.apiVersion, 'apps/v1');
  assert.equal(object.kind, 'Widget');
  assert.equal(object.metadata.namespace, 'default');
  assert.notEqual(object.metadata.uid, 'mine');
  assert.equal(object.metadata.creationTimestamp, '2026-01-02T03:04:05Z');
  assert.equal(object.metadata.generation, 1);
  assert.deepEqual(object.spec, { replicas: 1 });
  assert.deepEqual(await api.get(widgets, 'default', 'w'), object);
  assert.equal(object.metadata.resourceVersion, String(await store.revision()));
});

test('create: generateName, a missing namespace, a duplicate name, invalid input — nothing half-written', async () => {
  const generated = await api.create(widgets, 'default', { metadata: { generateName: 'web-' } });
  assert.match(generated.object.metadata.name!, /^web-[a-z0-9]{5}$/);
  const revision = await store.revision();
  await assert.rejects(api.create(widgets, 'nope', { metadata: { name: 'x' } }), /namespaces "nope" not found/);
  await assert.rejects(
    api.create(widgets, 'default', { metadata: { name: generated.object.metadata.name } }),
    (err) => isMarinaError(err, 'Conflict') && /already exists/.test(err.message),
  );
  await assert.rejects(api.create(widgets, 'default', { metadata: { name: 'bad' }, spec: { replicas: -1 } }), /spec\.replicas/);
  await assert.rejects(api.create(widgets, 'default', { kind: 'Pod', metadata: { name: 'k' } }), /this endpoint serves Widget/);
  await assert.rejects(api.create(widgets, 'other', { metadata: { name: 'k', namespace: 'default' } }), /does not match the namespace/);
  assert.equal(await store.revision(), revision);
});

test('update: a stale resourceVersion is a Conflict; spec changes bump generation; status is kept', async () => {
  const { object } = await api.create(widgets, 'default', { metadata: { name: 'w' }, spec: { replicas: 1 } });
  await api.updateStatus(widgets, 'default', 'w', { ...object, status: { ready: 1 } });
  await assert.rejects(
    api.update(widgets, 'default', 'w', { ...object, spec: { replicas: 2 } }),
    (err) => isMarinaError(err, 'Conflict') && /has been modified/.test(err.message),
  );
  const fresh = await api.get(widgets, 'default', 'w');
  const labelled = await api.update(widgets, 'default', 'w', { ...fresh, metadata: { ...fresh.metadata, labels: { a: 'b' } }, status: { ready: 9 } });
  assert.equal(labelled.object.metadata.generation, 1);
  assert.deepEqual(labelled.object.status, { ready: 1 });
  const scaled = await api.update(widgets, 'default', 'w', { metadata: { name: 'w' }, spec: { replicas: 3 } });
  assert.equal(scaled.object.metadata.generation, 2);
  assert.equal(scaled.object.metadata.uid, object.metadata.uid);
  assert.deepEqual(scaled.object.status, { ready: 1 }, 'status survives an update that omits it');
});

test('patch: merge and JSON patches apply to the latest version; the status subresource takes only status', async () => {
  await api.create(widgets, 'default', { metadata: { name: 'w', labels: { a: '1', b: '2' } }, spec: { replicas: 1 } });
  const merged = await api.patch(widgets, 'default', 'w', { metadata: { labels: { b: null, c: '3' } }, spec: { replicas: 4 } }, { type: 'merge' });
  assert.deepEqual(merged.object.metadata.labels, { a: '1', c: '3' });
  assert.deepEqual(merged.object.spec, { replicas: 4 });
  const patched = await api.patch(widgets, 'default', 'w', [{ op: 'replace', path: '/spec/replicas', value: 5 }], { type: 'json' });
  assert.deepEqual(patched.object.spec, { replicas: 5 });
  const status = await api.patch(widgets, 'default', 'w', { status: { ready: 2 }, spec: { replicas: 0 } }, { type: 'merge', subresource: 'status' });
  assert.deepEqual(status.object.status, { ready: 2 });
  assert.deepEqual(status.object.spec, { replicas: 5 });
  await assert.rejects(api.patch(widgets, 'default', 'w', [{ op: 'test', path: '/spec/replicas', value: 1 }], { type: 'json' }), /JSON patch/);
});

test('delete: at once without finalizers; with them (or foreground) marked until the last one is removed', async () => {
  await api.create(widgets, 'default', { metadata: { name: 'gone' } });
  await api.delete(widgets, 'default', 'gone');
  await assert.rejects(api.get(widgets, 'default', 'gone'), (err) => isMarinaError(err, 'NotFound'));

  await api.create(widgets, 'default', { metadata: { name: 'w', finalizers: ['example.com/cleanup'] } });
  const marked = await api.delete(widgets, 'default', 'w', { propagationPolicy: 'Foreground' });
  assert.ok(marked.metadata.deletionTimestamp);
  assert.deepEqual(marked.metadata.finalizers, ['example.com/cleanup', 'foregroundDeletion']);
  const current = await api.get(widgets, 'default', 'w');
  const added = await api.update(widgets, 'default', 'w', { ...current, metadata: { ...current.metadata, finalizers: ['foregroundDeletion', 'new'] } });
  assert.deepEqual(added.object.metadata.finalizers, ['foregroundDeletion'], 'no finalizer is added once deleting');
  await api.patch(widgets, 'default', 'w', { metadata: { finalizers: null } }, { type: 'merge' });
  await assert.rejects(api.get(widgets, 'default', 'w'), (err) => isMarinaError(err, 'NotFound'));
});

test('delete: a scheduled pod waits for its node agent (grace period), an unscheduled one goes at once', async () => {
  await api.create(pods, 'default', { metadata: { name: 'p' }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 10 } });
  const marked = await api.delete(pods, 'default', 'p');
  assert.equal(marked.metadata.deletionGracePeriodSeconds, 10);
  assert.equal(marked.metadata.deletionTimestamp, '2026-01-02T03:04:15Z');
  assert.equal((await api.delete(pods, 'default', 'p')).metadata.resourceVersion, marked.metadata.resourceVersion, 'deleting again changes nothing');
  await api.delete(pods, 'default', 'p', { gracePeriodSeconds: 0 });
  await assert.rejects(api.get(pods, 'default', 'p'), (err) => isMarinaError(err, 'NotFound'));

  await api.create(pods, 'default', { metadata: { name: 'q' }, spec: {} });
  await api.delete(pods, 'default', 'q');
  await assert.rejects(api.get(pods, 'default', 'q'), (err) => isMarinaError(err, 'NotFound'));
});

test('delete preconditions: another uid or resourceVersion is a Conflict and deletes nothing', async () => {
  const { object } = await api.create(widgets, 'default', { metadata: { name: 'w' } });
  await assert.rejects(api.delete(widgets, 'default', 'w', { preconditions: { uid: 'other' } }), (err) => isMarinaError(err, 'Conflict'));
  await assert.rejects(api.delete(widgets, 'default', 'w', { preconditions: { resourceVersion: '1' } }), (err) => isMarinaError(err, 'Conflict'));
  assert.equal((await api.get(widgets, 'default', 'w')).metadata.uid, object.metadata.uid);
});

test('list and watch: per namespace, from a list version, with a filter turning matches into ADDED/DELETED', async () => {
  await api.ensureNamespaces(namespaces, ['other']);
  await api.create(widgets, 'default', { metadata: { name: 'a', labels: { tier: 'web' } } });
  await api.create(widgets, 'other', { metadata: { name: 'b', labels: { tier: 'web' } } });
  const listed = await api.list(widgets, 'default');
  assert.deepEqual(listed.items.map((o) => o.metadata.name), ['a']);
  assert.equal((await api.list(widgets)).items.length, 2);

  const web = (o: KubeObject) => o.metadata.labels?.tier === 'web';
  const controller = new AbortController();
  const events = api.watch(widgets, 'default', listed.resourceVersion, controller.signal, web);
  await api.create(widgets, 'default', { metadata: { name: 'c', labels: { tier: 'db' } } });
  await api.patch(widgets, 'default', 'c', { metadata: { labels: { tier: 'web' } } }, { type: 'merge' });
  await api.patch(widgets, 'default', 'a', { metadata: { labels: { tier: 'db' } } }, { type: 'merge' });
  await api.patch(widgets, 'default', 'c', { spec: { replicas: 2 } }, { type: 'merge' });
  await api.delete(widgets, 'default', 'c');
  const seen: ObjectEvent[] = await take(events, 4);
  controller.abort();
  assert.deepEqual(
    seen.map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED c', 'DELETED a', 'MODIFIED c', 'DELETED c'],
  );
  await assert.rejects(take(api.watch(widgets, 'default', 'x', controller.signal), 1), /not a resource version/);
});

test('bind assigns an unbound pod to a node once, with PodScheduled=True; bound or deleting pods are Conflicts', async () => {
  await api.create(pods, 'default', { metadata: { name: 'p' }, spec: {} });
  const bound = await api.bind(pods, 'default', 'p', 'n1');
  assert.equal((bound.spec as { nodeName?: string }).nodeName, 'n1');
  assert.deepEqual(
    ((bound.status as { conditions: { type: string; status: string }[] }).conditions ?? []).map((c) => `${c.type}=${c.status}`),
    ['PodScheduled=True'],
  );
  await assert.rejects(api.bind(pods, 'default', 'p', 'n2'), (err) => isMarinaError(err, 'Conflict') && /already assigned to node "n1"/.test(err.message));
  await assert.rejects(api.bind(pods, 'default', 'missing', 'n1'), (err) => isMarinaError(err, 'NotFound'));
  await assert.rejects(api.bind(pods, 'default', 'p', ''), (err) => isMarinaError(err, 'Invalid'));
  assert.equal(((await api.get(pods, 'default', 'p')).spec as { nodeName?: string }).nodeName, 'n1');
});
