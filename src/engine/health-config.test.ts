import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { resolveHealthcheck } from './health-config.ts';

const second = 1_000_000_000;
const image = { Healthcheck: { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 5 * second, Retries: 5 } };

test('no healthcheck in the image or the request, or NONE in either, is none', () => {
  assert.equal(resolveHealthcheck(undefined, undefined), undefined);
  assert.equal(resolveHealthcheck({}, undefined), undefined);
  assert.equal(resolveHealthcheck(image, { test: ['NONE'] }), undefined);
  assert.equal(resolveHealthcheck({ Healthcheck: { Test: ['NONE'] } }, undefined), undefined);
});

test("the image's healthcheck with Docker's defaults for what it leaves out; CMD-SHELL in the image's shell", () => {
  assert.deepEqual(resolveHealthcheck(image, undefined), {
    command: ['/bin/sh', '-c', 'curl -f localhost'],
    intervalMs: 5000,
    timeoutMs: 30_000,
    startPeriodMs: 0,
    retries: 5,
    onFailure: 'restart',
  });
  assert.deepEqual(
    resolveHealthcheck({ ...image, Shell: ['/bin/ash', '-eo', 'pipefail', '-c'] }, undefined)?.command,
    ['/bin/ash', '-eo', 'pipefail', '-c', 'curl -f localhost'],
  );
});

test('the request overrides field by field; an empty test or 0 keeps the image value', () => {
  assert.deepEqual(
    resolveHealthcheck(image, { test: [], intervalMs: 0, timeoutMs: 200, onFailure: 'none' }),
    {
      command: ['/bin/sh', '-c', 'curl -f localhost'],
      intervalMs: 5000,
      timeoutMs: 200,
      startPeriodMs: 0,
      retries: 5,
      onFailure: 'none',
    },
  );
  assert.deepEqual(resolveHealthcheck(image, { test: ['CMD', 'test', '-e', '/ok'], retries: 1 })?.command, [
    'test',
    '-e',
    '/ok',
  ]);
});

test('malformed tests and options with no test at all are Invalid', () => {
  const refused = (e: unknown) => isMarinaError(e, 'Invalid') && e.details?.field === 'healthcheck.test';
  for (const test of [['CMD'], ['CMD-SHELL'], ['CMD-SHELL', 'a', 'b'], ['SHELL', 'x'], ['NONE', 'x']]) {
    assert.throws(() => resolveHealthcheck(undefined, { test }), refused, JSON.stringify(test));
  }
  assert.throws(() => resolveHealthcheck({}, { test: [], intervalMs: 1000 }), /no test to run/);
});
