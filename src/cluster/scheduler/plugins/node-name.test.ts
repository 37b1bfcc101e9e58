import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, snapshotOf } from '../test-objects.ts';
import { nodeName } from './node-name.ts';

test('a pod naming its node fits only that node; one naming none skips the filter', () => {
  const snapshot = snapshotOf([node('a'), node('b')]);
  assert.deepEqual(runFilter(nodeName, pod('p', { nodeName: 'b' }), snapshot), {
    a: "node(s) didn't match the requested node name",
    b: 'fits',
  });
  assert.deepEqual(runFilter(nodeName, pod('p'), snapshot), { a: 'skipped', b: 'skipped' });
});
