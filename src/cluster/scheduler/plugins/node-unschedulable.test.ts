import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, snapshotOf } from '../test-objects.ts';
import { nodeUnschedulable } from './node-unschedulable.ts';

test('cordoned nodes reject pods unless they tolerate the unschedulable taint', () => {
  const snapshot = snapshotOf([node('open'), node('cordoned', { unschedulable: true })]);
  assert.deepEqual(runFilter(nodeUnschedulable, pod('p'), snapshot), {
    open: 'fits',
    cordoned: 'node(s) were unschedulable',
  });
  const tolerant = pod('p', {
    tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
  });
  assert.deepEqual(runFilter(nodeUnschedulable, tolerant, snapshot), { open: 'fits', cordoned: 'fits' });
});
