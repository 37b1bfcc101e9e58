import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { isPercent, resolveIntOrPercent, rollingUpdateFenceposts } from './int-or-percent.ts';

test('percentages of a total round as asked; integers are themselves', () => {
  assert.equal(resolveIntOrPercent('25%', 4, true), 1);
  assert.equal(resolveIntOrPercent('25%', 5, true), 2);
  assert.equal(resolveIntOrPercent('25%', 5, false), 1);
  assert.equal(resolveIntOrPercent(3, 10, false), 3);
  assert.equal(isPercent('10%'), true);
  assert.equal(isPercent('10'), false);
  assert.throws(
    () => resolveIntOrPercent('ten', 4, true),
    (err) => isMarinaError(err, 'Invalid'),
  );
});

test('rolling update fenceposts: surge rounds up, unavailable down, never both zero', () => {
  assert.deepEqual(rollingUpdateFenceposts('25%', '25%', 4), { maxSurge: 1, maxUnavailable: 1 });
  assert.deepEqual(rollingUpdateFenceposts('25%', '25%', 10), { maxSurge: 3, maxUnavailable: 2 });
  assert.deepEqual(rollingUpdateFenceposts('25%', '25%', 1), { maxSurge: 1, maxUnavailable: 0 });
  assert.deepEqual(rollingUpdateFenceposts(0, '10%', 3), { maxSurge: 0, maxUnavailable: 1 });
  assert.deepEqual(rollingUpdateFenceposts(2, 0, 3), { maxSurge: 2, maxUnavailable: 0 });
});
