import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../apiserver/api-kind.ts';
import { openTestCluster } from '../apiserver/test-cluster.ts';
import type { Event } from '../resources/core-schemas.ts';
import { kindByName } from '../resources/registry.ts';
import { EventRecorder, eventName, expiredEvents } from './event-recorder.ts';

const events = kindByName('events');
const silent = { warn() {} };

function clock(start: string) {
  let now = new Date(start);
  return { now: () => now, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', uid: 'u-1', resourceVersion: '7' },
};

test('an event names the object and the source; a repeat within 10 minutes counts, a later one is new', async (t) => {
  const cluster = await openTestCluster();
  t.after(() => cluster.dispose());
  const time = clock('2026-01-01T00:00:00Z');
  const recorder = new EventRecorder(cluster.api, {
    component: 'job-controller',
    logger: silent,
    now: time.now,
  });

  await recorder.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  let [event] = (await cluster.api.list(events, 'default')).items as Event[];
  assert.match(event!.metadata.name!, /^web-1\.[0-9a-f]+$/);
  assert.deepEqual(event!.involvedObject, {
    apiVersion: 'v1',
    kind: 'Pod',
    name: 'web-1',
    namespace: 'default',
    uid: 'u-1',
    resourceVersion: '7',
  });
  assert.equal(event!.type, 'Warning');
  assert.equal(event!.count, 1);
  assert.deepEqual(event!.source, { component: 'job-controller' });

  time.advance(5 * 60_000);
  await Promise.all([
    recorder.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container'),
    recorder.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container'),
  ]);
  [event] = (await cluster.api.list(events, 'default')).items as Event[];
  assert.equal(event!.count, 3);
  assert.equal(event!.firstTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(event!.lastTimestamp, '2026-01-01T00:05:00Z');

  await recorder.record(pod, 'Warning', 'BackOff', 'another message');
  time.advance(11 * 60_000);
  await recorder.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  assert.equal((await cluster.api.list(events, 'default')).items.length, 3);
});

test('events about cluster-scoped objects go to default; a failure is logged, never thrown', async (t) => {
  const cluster = await openTestCluster();
  t.after(() => cluster.dispose());
  const warnings: unknown[] = [];
  const recorder = new EventRecorder(cluster.api, {
    component: 'node-lifecycle',
    logger: { warn: (o: unknown) => warnings.push(o) },
  });
  const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n-1' } };
  await recorder.record(node, 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
  const [event] = (await cluster.api.list(events, 'default')).items as Event[];
  assert.equal(event!.involvedObject.name, 'n1');
  assert.equal(event!.involvedObject.namespace, undefined);

  await recorder.record(
    { ...pod, metadata: { ...pod.metadata, namespace: 'missing' } },
    'Normal',
    'Scheduled',
    'x',
  );
  assert.equal(warnings.length, 1);
});

test('cleanup deletes events last seen more than an hour ago', async (t) => {
  const cluster = await openTestCluster();
  t.after(() => cluster.dispose());
  const time = clock('2026-01-01T00:00:00Z');
  const recorder = new EventRecorder(cluster.api, { component: 'c', logger: silent, now: time.now });
  await recorder.record(pod, 'Normal', 'Old', 'old');
  time.advance(30 * 60_000);
  await recorder.record(pod, 'Normal', 'Recent', 'recent');
  time.advance(31 * 60_000);
  assert.equal(await recorder.cleanup(), 1);
  const left = (await cluster.api.list(events, 'default')).items as Event[];
  assert.deepEqual(
    left.map((e) => e.reason),
    ['Recent'],
  );
});

test('expiredEvents and eventName are pure', () => {
  const at = (last: string) => ({ metadata: {}, lastTimestamp: last }) as Event;
  const now = new Date('2026-01-01T02:00:00Z');
  assert.deepEqual(
    expiredEvents([at('2026-01-01T00:59:59Z'), at('2026-01-01T01:00:00Z')], now, 3_600_000).length,
    1,
  );
  assert.equal(eventName('p', new Date(1), 2), 'p.f4242');
});
