import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { parseTimeBound, resolveLogQuery } from './log-query.ts';

const now = 1_800_000_000_000_000_000n;

test('since/until accept unix seconds with a fraction', () => {
  assert.equal(parseTimeBound('1700000000', now), 1_700_000_000_000_000_000n);
  assert.equal(parseTimeBound('1700000000.5', now), 1_700_000_000_500_000_000n);
  assert.equal(parseTimeBound('1700000000.000000001', now), 1_700_000_000_000_000_001n);
});

test('since/until accept RFC 3339 with nanoseconds and offsets', () => {
  assert.equal(parseTimeBound('2023-11-14T22:13:20Z', now), 1_700_000_000_000_000_000n);
  assert.equal(parseTimeBound('2023-11-14T23:13:20.25+01:00', now), 1_700_000_000_250_000_000n);
});

test('since/until accept durations back from now', () => {
  assert.equal(parseTimeBound('10m', now), now - 600_000_000_000n);
  assert.equal(parseTimeBound('1h30m', now), now - 5_400_000_000_000n);
  assert.equal(parseTimeBound('1.5s', now), now - 1_500_000_000n);
});

test('a bad time is Invalid and names the option', () => {
  assert.throws(
    () => parseTimeBound('last tuesday', now, 'until'),
    (err) => isMarinaError(err, 'Invalid') && err.message.includes('"until"'),
  );
});

test('stream selection: both by default, only the named ones otherwise, never none', () => {
  assert.deepEqual([...resolveLogQuery({}, now).streams], ['stdout', 'stderr']);
  assert.deepEqual([...resolveLogQuery({ stderr: true }, now).streams], ['stderr']);
  assert.throws(() => resolveLogQuery({ stdout: false, stderr: false }, now), (err) => isMarinaError(err, 'Invalid'));
});

test('tail: negative means all, fractions are Invalid', () => {
  assert.equal(resolveLogQuery({ tail: -1 }, now).tail, undefined);
  assert.equal(resolveLogQuery({ tail: 0 }, now).tail, 0);
  assert.throws(() => resolveLogQuery({ tail: 1.5 }, now), (err) => isMarinaError(err, 'Invalid'));
});
