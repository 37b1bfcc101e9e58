import assert from 'node:assert/strict';
import { test } from 'node:test';
import { feasibleNodesToFind, Scheduler } from './scheduler.ts';
import { ClusterSnapshot } from './snapshot.ts';
import { node, pod, snapshotOf } from './test-objects.ts';
import { unschedulableMessage } from './unschedulable-message.ts';

const gpuTaint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

test('an unschedulable pod gets the aggregated message Kubernetes prints', () => {
  const snapshot = snapshotOf([
    node('small', { cpu: '1' }),
    node('gpu1', { taints: [gpuTaint] }),
    node('gpu2', { taints: [gpuTaint] }),
  ]);
  const result = new Scheduler().schedule(pod('p', { cpu: '2' }), snapshot);
  assert.equal(result.kind, 'Unschedulable');
  assert.equal(
    result.kind === 'Unschedulable' && result.message,
    '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.',
  );
});

test('a node rejected for several resources counts under each; an empty cluster says so', () => {
  const snapshot = snapshotOf([
    node('a', { cpu: '1', memory: '1Gi' }),
    node('b', { cpu: '1', memory: '1Gi' }),
  ]);
  const result = new Scheduler().schedule(pod('p', { cpu: '2', memory: '2Gi' }), snapshot);
  assert.equal(
    result.kind === 'Unschedulable' && result.message,
    '0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory.',
  );
  const empty = new Scheduler().schedule(pod('p'), new ClusterSnapshot());
  assert.equal(
    empty.kind === 'Unschedulable' && empty.message,
    '0/0 nodes are available: no nodes available to schedule pods.',
  );
  assert.equal(
    unschedulableMessage(
      12,
      new Map([
        ['node(s) were unschedulable', 2],
        ['Insufficient memory', 10],
      ]),
    ),
    '0/12 nodes are available: 10 Insufficient memory, 2 node(s) were unschedulable.',
    'sorted as text, as Kubernetes sorts them',
  );
});

test('the pod goes to the feasible node with the best weighted score', () => {
  const snapshot = snapshotOf(
    [node('full', { cpu: '4' }), node('free', { cpu: '4' }), node('tainted', { taints: [gpuTaint] })],
    [[pod('big', { cpu: '3', memory: '6Gi' }), 'full']],
  );
  const result = new Scheduler().schedule(pod('p', { cpu: '500m', memory: '512Mi' }), snapshot);
  assert.deepEqual(result, { kind: 'Scheduled', node: 'free', evaluatedNodes: 3, feasibleNodes: 2 });
});

test('replicas placed one after another spread over equal nodes', () => {
  const snapshot = snapshotOf([node('a'), node('b'), node('c')]);
  const scheduler = new Scheduler({ seed: 7 });
  const placed: string[] = [];
  for (let i = 0; i < 6; i++) {
    const replica = pod(`r${i}`, { ownerUid: 'rs-1', cpu: '100m', memory: '64Mi' });
    const result = scheduler.schedule(replica, snapshot);
    assert.equal(result.kind, 'Scheduled');
    if (result.kind !== 'Scheduled') return;
    snapshot.addPod(replica, result.node);
    placed.push(result.node);
  }
  assert.deepEqual(placed.toSorted(), ['a', 'a', 'b', 'b', 'c', 'c']);
});

test('ties are broken by the seed: reproducible, and not always the first node', () => {
  const decide = (seed: number) => {
    const snapshot = snapshotOf(['a', 'b', 'c', 'd'].map((n) => node(n)));
    const scheduler = new Scheduler({ seed });
    return Array.from({ length: 8 }, (_, i) => {
      const result = scheduler.schedule(pod(`p${i}`), snapshot);
      return result.kind === 'Scheduled' ? result.node : '';
    });
  };
  assert.deepEqual(decide(3), decide(3));
  assert.ok(new Set(decide(3)).size > 1, `picked ${decide(3)}`);
});

test('large clusters are sampled: the search stops at enough feasible nodes and rotates', () => {
  assert.equal(feasibleNodesToFind(50), 50);
  assert.equal(feasibleNodesToFind(1000), 420, '50% - 1000/125 = 42%');
  assert.equal(feasibleNodesToFind(10_000), 500, 'at least 5%');
  assert.equal(feasibleNodesToFind(200, 10), 100, 'never fewer than 100');
  assert.equal(feasibleNodesToFind(1000, 100), 1000);
  const snapshot = snapshotOf(Array.from({ length: 300 }, (_, i) => node(`n${i}`)));
  const scheduler = new Scheduler({ percentageOfNodesToScore: 10 });
  const first = scheduler.schedule(pod('p1'), snapshot);
  assert.equal(first.kind === 'Scheduled' && first.evaluatedNodes, 100);
  const second = scheduler.schedule(pod('p2'), snapshot);
  assert.equal(second.kind === 'Scheduled' && second.evaluatedNodes, 100);
  // The second search started where the first stopped, so it chose among other nodes.
  const index = (r: typeof first) => (r.kind === 'Scheduled' ? Number(r.node.slice(1)) : -1);
  assert.ok(
    index(first) < 100 && index(second) >= 100 && index(second) < 200,
    `${index(first)} ${index(second)}`,
  );
});

test('a pod naming an unknown node fits none; schedulerName and nodeName decide responsibility', () => {
  const snapshot = snapshotOf([node('a'), node('b')]);
  const scheduler = new Scheduler();
  const result = scheduler.schedule(pod('p', { nodeName: 'c' }), snapshot);
  assert.equal(
    result.kind === 'Unschedulable' && result.message,
    "0/2 nodes are available: 2 node(s) didn't match the requested node name.",
  );
  assert.equal(scheduler.responsibleFor(pod('p')), true);
  assert.equal(scheduler.responsibleFor(pod('p', { schedulerName: 'default-scheduler' })), true);
  assert.equal(scheduler.responsibleFor(pod('p', { schedulerName: 'gpu-scheduler' })), false);
  assert.equal(scheduler.responsibleFor(pod('p', { nodeName: 'a' })), false, 'already bound');
});
