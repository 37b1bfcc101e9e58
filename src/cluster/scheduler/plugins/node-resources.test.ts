import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, runScore, snapshotOf } from '../test-objects.ts';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './node-resources.ts';

test('requests plus what the node already runs must stay within allocatable, every resource named', () => {
  const snapshot = snapshotOf(
    [
      node('big', { cpu: '4', memory: '8Gi' }),
      node('busy', { cpu: '2', memory: '4Gi' }),
      node('small', { cpu: '500m', memory: '256Mi' }),
    ],
    [[pod('running', { cpu: '1500m', memory: '3Gi' }), 'busy']],
  );
  assert.deepEqual(runFilter(nodeResourcesFit, pod('p', { cpu: '1', memory: '1Gi' }), snapshot), {
    big: 'fits',
    busy: 'Insufficient cpu',
    small: 'Insufficient cpu; Insufficient memory',
  });
  assert.deepEqual(runFilter(nodeResourcesFit, pod('p', { cpu: '500m', memory: '1Gi' }), snapshot), {
    big: 'fits',
    busy: 'fits',
    small: 'Insufficient memory',
  });
});

test('init containers need the largest of them, not the sum; extended resources need allocatable', () => {
  const snapshot = snapshotOf([node('n', { cpu: '2', memory: '1Gi' })]);
  const withInit = pod('p', { cpu: '1' });
  const initialized = {
    ...withInit,
    spec: {
      ...withInit.spec,
      initContainers: [
        { resources: { requests: { cpu: '2' } } },
        { resources: { requests: { cpu: '1500m' } } },
      ],
    },
  };
  assert.deepEqual(runFilter(nodeResourcesFit, initialized, snapshot), { n: 'fits' });
  const gpu = { ...withInit, spec: { containers: [{ resources: { requests: { 'nvidia.com/gpu': 1 } } }] } };
  assert.deepEqual(runFilter(nodeResourcesFit, gpu, snapshot), { n: 'Insufficient nvidia.com/gpu' });
});

test('a node takes no more pods than allocatable pods', () => {
  const snapshot = snapshotOf(
    [node('n', { pods: 2 })],
    [
      [pod('a'), 'n'],
      [pod('b'), 'n'],
    ],
  );
  assert.deepEqual(runFilter(nodeResourcesFit, pod('p'), snapshot), { n: 'Too many pods' });
  snapshot.removePod(pod('a'));
  assert.deepEqual(runFilter(nodeResourcesFit, pod('p'), snapshot), { n: 'fits' });
});

test('least allocated scores free capacity; pods without requests count with the default requests', () => {
  const snapshot = snapshotOf(
    [node('empty', { cpu: '4', memory: '4Gi' }), node('half', { cpu: '4', memory: '4Gi' })],
    [[pod('running', { cpu: '2', memory: '2Gi' }), 'half']],
  );
  // With the pod's 0/0 → 100m/200Mi defaults: empty (97.5 + 95.1)/2, half (47.5 + 45.1)/2.
  assert.deepEqual(runScore(nodeResourcesFit, pod('p'), snapshot), { empty: 96, half: 46 });
});

test('balanced allocation prefers nodes where cpu and memory are used in equal shares', () => {
  const snapshot = snapshotOf(
    [node('even', { cpu: '4', memory: '4Gi' }), node('skewed', { cpu: '4', memory: '4Gi' })],
    [
      [pod('a', { cpu: '1', memory: '1Gi' }), 'even'],
      [pod('b', { cpu: '3', memory: '200Mi' }), 'skewed'],
    ],
  );
  const scores = runScore(nodeResourcesBalancedAllocation, pod('p', { cpu: '1', memory: '1Gi' }), snapshot)!;
  assert.equal(scores.even, 100);
  assert.ok(scores.skewed! < 80, `skewed scored ${scores.skewed}`);
});
