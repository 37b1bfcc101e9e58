import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { parseQuantity, schedulingAmount } from './quantity.ts';

test('quantities parse with decimal and binary suffixes, exponents and plain numbers', () => {
  const cases: [string | number, number][] = [
    ['2', 2],
    [2, 2],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['500m', 0.5],
    ['1k', 1000],
    ['1M', 1e6],
    ['3G', 3e9],
    ['1Ki', 1024],
    ['128Mi', 128 * 1024 * 1024],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1e3', 1000],
    ['1E3', 1000],
    ['2E', 2e18],
    ['100u', 1e-4],
    ['-1', -1],
  ];
  for (const [input, expected] of cases) assert.equal(parseQuantity(input), expected, String(input));
});

test('malformed quantities are Invalid errors that name the value', () => {
  for (const bad of ['', 'abc', '1.2.3', '5 Mi', '1mi', 'Mi', '1KiB']) {
    assert.throws(
      () => parseQuantity(bad),
      (err) => isMarinaError(err, 'Invalid') && err.message.includes(`"${bad}"`),
      bad,
    );
  }
  assert.throws(
    () => parseQuantity(Number.NaN),
    (err) => isMarinaError(err, 'Invalid'),
  );
});

test('scheduling amounts are millicores for cpu and whole base units otherwise, rounded up', () => {
  assert.equal(schedulingAmount('cpu', '100m'), 100);
  assert.equal(schedulingAmount('cpu', '0.1'), 100, 'float noise is not rounded up');
  assert.equal(schedulingAmount('cpu', 2), 2000);
  assert.equal(schedulingAmount('cpu', '1500u'), 2, '1.5 millicores round up');
  assert.equal(schedulingAmount('memory', '128Mi'), 134217728);
  assert.equal(schedulingAmount('memory', '0.1Mi'), 104858);
  assert.equal(schedulingAmount('nvidia.com/gpu', '1'), 1);
});
