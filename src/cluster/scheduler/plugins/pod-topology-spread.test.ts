import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, runScore, snapshotOf } from '../test-objects.ts';
import type { PodView } from '../types.ts';
import { podTopologySpread } from './pod-topology-spread.ts';

const zone = 'topology.kubernetes.io/zone';
const web = (name: string) => pod(name, { labels: { app: 'web' } });
const spread = (whenUnsatisfiable: string, maxSkew = 1): PodView =>
  pod('new', {
    labels: { app: 'web' },
    topologySpreadConstraints: [
      { maxSkew, topologyKey: zone, whenUnsatisfiable, labelSelector: { matchLabels: { app: 'web' } } },
    ],
  });
const nodes = () => [
  node('a1', { labels: { [zone]: 'a' } }),
  node('a2', { labels: { [zone]: 'a' } }),
  node('b1', { labels: { [zone]: 'b' } }),
  node('c1', { labels: { [zone]: 'c' } }),
  node('nozone'),
];

test('DoNotSchedule rejects domains that would exceed maxSkew over the emptiest domain', () => {
  const snapshot = snapshotOf(nodes(), [
    [web('w1'), 'a1'],
    [web('w2'), 'b1'],
    [pod('db', { labels: { app: 'db' } }), 'c1'],
  ]);
  const skewed = "node(s) didn't match pod topology spread constraints";
  assert.deepEqual(runFilter(podTopologySpread, spread('DoNotSchedule'), snapshot), {
    a1: skewed,
    a2: skewed,
    b1: skewed,
    c1: 'fits',
    nozone: `${skewed} (missing required label)`,
  });
  assert.deepEqual(runFilter(podTopologySpread, spread('DoNotSchedule', 2), snapshot), {
    a1: 'fits',
    a2: 'fits',
    b1: 'fits',
    c1: 'fits',
    nozone: `${skewed} (missing required label)`,
  });
});

test('only domains of nodes the pod may run on count: nodeSelector narrows the spread', () => {
  const snapshot = snapshotOf(
    [
      node('a1', { labels: { [zone]: 'a', pool: 'x' } }),
      node('b1', { labels: { [zone]: 'b', pool: 'x' } }),
      node('c1', { labels: { [zone]: 'c' } }),
    ],
    [[web('w1'), 'a1']],
  );
  const p = spread('DoNotSchedule');
  const pinned = pod('new', { ...p.spec, labels: { app: 'web' }, nodeSelector: { pool: 'x' } });
  // Zone c (no pods) is out of reach, so the emptiest reachable domain is b, with 0: a would have skew 2.
  const result = runFilter(podTopologySpread, pinned, snapshot);
  assert.equal(result.a1, "node(s) didn't match pod topology spread constraints");
  assert.equal(result.b1, 'fits');
});

test('ScheduleAnyway scores emptier domains higher and nodes without the key lowest', () => {
  const snapshot = snapshotOf(nodes(), [
    [web('w1'), 'a1'],
    [web('w2'), 'a2'],
    [web('w3'), 'b1'],
  ]);
  const scores = runScore(podTopologySpread, spread('ScheduleAnyway'), snapshot)!;
  assert.equal(scores.c1, 100);
  assert.ok(scores.b1! < scores.c1! && scores.a1! < scores.b1!, JSON.stringify(scores));
  assert.equal(scores.a1, scores.a2);
  assert.equal(scores.nozone, 0);
  assert.equal(runFilter(podTopologySpread, spread('ScheduleAnyway'), snapshot).a1, 'skipped');
});
