import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schedulingAmount } from './quantity.ts';

test('scheduling amounts are millicores for cpu and whole base units otherwise, rounded up', () => {
  assert.equal(schedulingAmount('cpu', '100m'), 100);
  assert.equal(schedulingAmount('cpu', '0.1'), 100, 'float noise is not rounded up');
  assert.equal(schedulingAmount('cpu', 2), 2000);
  assert.equal(schedulingAmount('cpu', '1500u'), 2, '1.5 millicores round up');
  assert.equal(schedulingAmount('memory', '128Mi'), 134217728);
  assert.equal(schedulingAmount('memory', '0.1Mi'), 104858);
  assert.equal(schedulingAmount('nvidia.com/gpu', '1'), 1);
});
