import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileLabelSelector } from './selectors.ts';
import { node, pod, snapshotOf } from './test-objects.ts';

test('node totals follow pods as they are added, moved and removed', () => {
  const snapshot = snapshotOf([node('a'), node('b')]);
  const p = pod('p', { cpu: '500m', memory: '1Gi', ownerUid: 'rs' });
  snapshot.addPod(p, 'a');
  const a = snapshot.node('a')!;
  assert.equal(a.requested.get('cpu'), 500);
  assert.equal(a.requested.get('memory'), 2 ** 30);
  assert.equal(a.podsByController.get('rs'), 1);
  snapshot.addPod(p, 'b');
  assert.equal(a.requested.get('cpu'), 0, 'adding the same pod again moves it');
  assert.equal(a.pods.size, 0);
  assert.equal(snapshot.node('b')!.requested.get('cpu'), 500);
  assert.equal(snapshot.assignment('uid-default-p')?.node.name, 'b');
  snapshot.removePod(p);
  assert.equal(snapshot.node('b')!.pods.size, 0);
  assert.equal(snapshot.node('b')!.podsByController.size, 0);
  assert.equal(snapshot.assignedPodCount, 0);
});

test('pods bound to an unknown node wait for it; a removed node keeps its pods aside', () => {
  const snapshot = snapshotOf([node('a')]);
  snapshot.addPod(pod('early', { labels: { app: 'x' } }), 'later');
  assert.equal(snapshot.assignedPodCount, 0);
  snapshot.setNode(node('later'));
  assert.equal(snapshot.node('later')!.pods.size, 1);
  const selector = compileLabelSelector({ matchLabels: { app: 'x' } });
  assert.equal([...snapshot.podsMatching(new Set(['default']), selector)].length, 1);
  snapshot.removeNode('later');
  assert.equal(snapshot.nodes.length, 1);
  assert.equal([...snapshot.podsMatching(new Set(['default']), selector)].length, 0);
  snapshot.setNode(node('later'));
  assert.equal(snapshot.node('later')!.pods.size, 1, 'the pod comes back with its node');
});

test('updating a node keeps its pods and takes the new labels and allocatable', () => {
  const snapshot = snapshotOf([node('a', { cpu: '1' })], [[pod('p', { cpu: '1' }), 'a']]);
  snapshot.setNode(node('a', { cpu: '2', labels: { zone: 'z' } }));
  const a = snapshot.node('a')!;
  assert.equal(a.allocatable.get('cpu'), 2000);
  assert.equal(a.labels.zone, 'z');
  assert.equal(a.requested.get('cpu'), 1000);
});

test('podsMatching honours namespaces and the whole selector, with or without an indexed label', () => {
  const snapshot = snapshotOf(
    [node('a')],
    [
      [pod('w1', { labels: { app: 'web', tier: 'front' } }), 'a'],
      [pod('w2', { labels: { app: 'web', tier: 'back' } }), 'a'],
      [pod('w3', { namespace: 'other', labels: { app: 'web', tier: 'front' } }), 'a'],
    ],
  );
  const names = (selector: Parameters<typeof compileLabelSelector>[0], namespaces = ['default']) =>
    [...snapshot.podsMatching(new Set(namespaces), compileLabelSelector(selector))]
      .map((p) => p.info.pod.metadata.name)
      .sort();
  assert.deepEqual(names({ matchLabels: { app: 'web', tier: 'front' } }), ['w1']);
  assert.deepEqual(names({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] }), [
    'w1',
  ]);
  assert.deepEqual(names({ matchLabels: { app: 'web' } }, ['default', 'other']), ['w1', 'w2', 'w3']);
  assert.deepEqual(names(undefined), []);
});
