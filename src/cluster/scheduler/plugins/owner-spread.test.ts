import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runScore, snapshotOf } from '../test-objects.ts';
import { ownerSpread } from './owner-spread.ts';

test('nodes with fewer pods of the same owner score higher; other owners do not count', () => {
  const rs = (name: string) => pod(name, { ownerUid: 'rs-1' });
  const snapshot = snapshotOf(
    [node('a'), node('b'), node('c')],
    [
      [rs('r1'), 'a'],
      [rs('r2'), 'a'],
      [rs('r3'), 'b'],
      [pod('other1', { ownerUid: 'rs-2' }), 'c'],
      [pod('other2', { ownerUid: 'rs-2' }), 'c'],
    ],
  );
  assert.deepEqual(runScore(ownerSpread, rs('new'), snapshot), { a: 0, b: 50, c: 100 });
  assert.equal(
    runScore(ownerSpread, pod('bare'), snapshot),
    undefined,
    'a pod without an owner is not spread',
  );
});
