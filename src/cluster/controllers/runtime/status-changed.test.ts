import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusChanged } from './status-changed.ts';

test('a status is unchanged whatever the order of its keys, at any depth, and whatever is left undefined', () => {
  const stored = { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] };
  assert.equal(
    statusChanged(stored, { conditions: [{ status: 'True', type: 'Available', reason: undefined }], replicas: 2 }),
    false,
  );
  assert.equal(statusChanged(undefined, {}), false, 'no status is the empty status');
});

test('a different value, a field added or removed, or a reordered list is a change', () => {
  const stored = { replicas: 2, conditions: [{ type: 'a' }, { type: 'b' }] };
  assert.equal(statusChanged(stored, { ...stored, replicas: 3 }), true);
  assert.equal(statusChanged(stored, { ...stored, readyReplicas: 0 }), true);
  assert.equal(statusChanged(stored, { replicas: 2 }), true);
  assert.equal(statusChanged(stored, { replicas: 2, conditions: [{ type: 'b' }, { type: 'a' }] }), true);
  assert.equal(statusChanged(undefined, { replicas: 0 }), true);
});
