import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, snapshotOf } from '../test-objects.ts';
import { nodeReady } from './node-ready.ts';

test('only Ready nodes take pods, reported as the not-ready or unreachable taint', () => {
  const snapshot = snapshotOf([
    node('ready'),
    node('not-ready', { ready: 'False' }),
    node('unknown', { ready: 'Unknown' }),
    { metadata: { name: 'unreported' }, status: { allocatable: { pods: 10 } } },
  ]);
  assert.deepEqual(runFilter(nodeReady, pod('p'), snapshot), {
    ready: 'fits',
    'not-ready': 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }',
    unknown: 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }',
    unreported: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }',
  });
});

test('a pod tolerating the not-ready taint may go to a node that is not ready', () => {
  const snapshot = snapshotOf([node('not-ready', { ready: 'False' })]);
  const tolerant = pod('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] });
  assert.deepEqual(runFilter(nodeReady, tolerant, snapshot), { 'not-ready': 'fits' });
});
