import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRestart, type ExitFacts, maxRestartDelayMs, nextDelay, startsWithDaemon } from './restart-policy.ts';

const facts = (over: Partial<ExitFacts>): ExitFacts => ({
  policy: { name: 'always' },
  exitCode: 1,
  explicitlyStopped: false,
  restartCount: 0,
  ranForMs: 0,
  previousDelayMs: 0,
  ...over,
});

test('no policy and "no" never restart', () => {
  assert.deepEqual(decideRestart(facts({ policy: undefined })), { restart: false });
  assert.deepEqual(decideRestart(facts({ policy: { name: 'no' } })), { restart: false });
});

test('always and unless-stopped restart on any exit code, but not after an explicit stop', () => {
  for (const name of ['always', 'unless-stopped'] as const) {
    assert.equal(decideRestart(facts({ policy: { name }, exitCode: 0 })).restart, true);
    assert.equal(decideRestart(facts({ policy: { name }, exitCode: 3 })).restart, true);
    assert.equal(decideRestart(facts({ policy: { name }, explicitlyStopped: true })).restart, false);
  }
});

test('on-failure restarts only non-zero exits, up to the retry count', () => {
  const policy = { name: 'on-failure' as const, maximumRetryCount: 2 };
  assert.equal(decideRestart(facts({ policy, exitCode: 0 })).restart, false);
  assert.equal(decideRestart(facts({ policy, restartCount: 0 })).restart, true);
  assert.equal(decideRestart(facts({ policy, restartCount: 1 })).restart, true);
  assert.equal(decideRestart(facts({ policy, restartCount: 2 })).restart, false);
  assert.equal(decideRestart(facts({ policy: { name: 'on-failure' }, restartCount: 50 })).restart, true);
});

test('backoff: 100 ms doubling up to a minute, reset after a 10 s run', () => {
  assert.equal(nextDelay(0, 0), 100);
  assert.equal(nextDelay(100, 50), 200);
  assert.equal(nextDelay(400, 9_999), 800);
  assert.equal(nextDelay(40_000, 0), maxRestartDelayMs);
  assert.equal(nextDelay(maxRestartDelayMs, 0), maxRestartDelayMs);
  assert.equal(nextDelay(6_400, 10_000), 100);
  assert.deepEqual(decideRestart(facts({ previousDelayMs: 200 })), { restart: true, delayMs: 400 });
});

test('daemon start brings back always/unless-stopped unless explicitly stopped', () => {
  assert.equal(startsWithDaemon({ name: 'always' }, false), true);
  assert.equal(startsWithDaemon({ name: 'unless-stopped' }, false), true);
  assert.equal(startsWithDaemon({ name: 'unless-stopped' }, true), false);
  assert.equal(startsWithDaemon({ name: 'always' }, true), false);
  assert.equal(startsWithDaemon({ name: 'on-failure' }, false), false);
  assert.equal(startsWithDaemon(undefined, false), false);
});
