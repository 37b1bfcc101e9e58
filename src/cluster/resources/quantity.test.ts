import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { parseQuantity, tryParseQuantity } from './quantity.ts';

test('CPU quantities are cores', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity('0.25'), 0.25);
  assert.equal(parseQuantity(1.5), 1.5);
  assert.equal(parseQuantity('100u'), 100e-6);
});

test('memory quantities are bytes, binary and decimal suffixes alike', () => {
  assert.equal(parseQuantity('128Mi'), 134217728);
  assert.equal(parseQuantity('1Gi'), 1073741824);
  assert.equal(parseQuantity('1.5Ki'), 1536);
  assert.equal(parseQuantity('64k'), 64000);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('12E-1'), 1.2);
  assert.equal(parseQuantity('1E'), 1e18);
});

test('malformed quantities are refused with the grammar in the message', () => {
  for (const bad of ['', 'abc', '1KB', '1K', '1 Mi', 'Mi', '1.2.3', '--1']) {
    assert.equal(tryParseQuantity(bad), undefined, bad);
    assert.throws(
      () => parseQuantity(bad),
      (err) => isMarinaError(err, 'Invalid') && /regular expression/.test(err.message),
    );
  }
  assert.equal(tryParseQuantity(Number.NaN), undefined);
});
