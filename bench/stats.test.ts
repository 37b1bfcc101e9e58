import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latencyTable, markdownTable, parseVmRss, ratioTable, summarize, verdict } from './stats.ts';

test('summarize: odd count takes the middle sample, whatever the input order', () => {
  assert.deepEqual(summarize([9, 1, 5]), { n: 3, min: 1, median: 5, p90: 9, p99: 9, max: 9 });
});

test('summarize: even count averages the two middle samples and does not reorder the input', () => {
  const samples = [4, 1, 3, 2];
  assert.deepEqual(summarize(samples), { n: 4, min: 1, median: 2.5, p90: 4, p99: 4, max: 4 });
  assert.deepEqual(samples, [4, 1, 3, 2]);
});

test('summarize: p90 is the nearest-rank sample, not an interpolation', () => {
  const samples = Array.from({ length: 20 }, (_, i) => 20 - i);
  assert.equal(summarize(samples).p90, 18);
  assert.equal(summarize(samples).p99, 20);
});

test('summarize: no samples is an error, not NaN', () => {
  assert.throws(() => summarize([]), /no samples/);
});

test('verdict: at the target passes, above it misses', () => {
  assert.equal(verdict({ label: 'x', ratio: 0.6, target: 0.6 }), 'PASS');
  assert.equal(verdict({ label: 'x', ratio: 0.61, target: 0.6 }), 'MISS');
});

test('markdownTable pads every column to its widest cell', () => {
  assert.equal(
    markdownTable(['a', 'bb'], [['long', 'x']]),
    ['| a    | bb |', '|------|----|', '| long | x  |'].join('\n'),
  );
});

test('latencyTable and ratioTable render milliseconds, ratios and verdicts', () => {
  const latency = latencyTable([{ label: 'runc run', summary: { n: 3, min: 1, median: 2.25, p90: 9, p99: 10, max: 10 } }]);
  assert.match(latency, /\| runc run +\| 3 +\| 1\.0 +\| 2\.3 +\| 9\.0 +\| 10\.0 +\|/);
  const ratios = ratioTable([{ label: 'cli/podman', ratio: 0.456, target: 0.6 }]);
  assert.match(ratios, /\| cli\/podman \| 0\.46 +\| ≤ 0\.6 +\| PASS +\|/);
});

test('parseVmRss reads kB from /proc/<pid>/status and is undefined without the line', () => {
  assert.equal(parseVmRss('Name:\tnode\nVmRSS:\t   51234 kB\nThreads:\t7\n'), 51234 * 1024);
  assert.equal(parseVmRss('Name:\tkthreadd\n'), undefined);
});
