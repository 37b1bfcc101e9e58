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
