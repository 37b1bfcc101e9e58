import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerStep, type StepInput, willRestart } from './container-step.ts';
import type { AttemptObservation } from './pod-status.ts';

const now = Date.parse('2030-01-01T00:01:00Z');
const exited = (exitCode: number, finishedAt = '2030-01-01T00:00:00Z'): AttemptObservation => ({
  containerId: 'c1',
  imageId: 'sha256:1',
  status: 'exited',
  startedAt: '2030-01-01T00:00:00Z',
  finishedAt,
  exitCode,
  oomKilled: false,
  error: '',
});
const input = (fields: Partial<StepInput>): StepInput => ({
  role: 'app',
  restartPolicy: 'Always',
  current: undefined,
  attempt: 0,
  restartDelayMs: 0,
  now,
  ...fields,
});

test('a container never made is created as attempt 0; one made but not started is started', () => {
  assert.deepEqual(containerStep(input({})), { action: 'create', attempt: 0 });
  assert.deepEqual(containerStep(input({ current: { ...exited(0), status: 'created' } })), {
    action: 'start',
  });
});

test('a running container keeps running unless a probe wants it killed', () => {
  const running = { ...exited(0), status: 'running' as const };
  assert.deepEqual(containerStep(input({ current: running })), { action: 'running' });
  assert.deepEqual(containerStep(input({ current: running, unhealthy: 'Liveness probe failed' })), {
    action: 'kill',
    reason: 'Liveness probe failed',
  });
});

test('restart policies decide which exits restart', () => {
  assert.deepEqual(
    [0, 1].map((code) => ['Always', 'OnFailure', 'Never'].map((policy) => willRestart('app', policy, code))),
    [
      [true, false, false],
      [true, true, false],
    ],
  );
  assert.equal(willRestart('init', 'Always', 0), false, 'a finished init container is done');
  assert.equal(willRestart('init', 'Always', 1), true);
  assert.equal(willRestart('init', 'Never', 1), false);
  assert.deepEqual(containerStep(input({ restartPolicy: 'Never', current: exited(3) })), {
    action: 'done',
    succeeded: false,
  });
  assert.deepEqual(containerStep(input({ restartPolicy: 'OnFailure', current: exited(0) })), {
    action: 'done',
    succeeded: true,
  });
});

test('a restart waits out the back-off from the exit, then makes the next attempt', () => {
  assert.deepEqual(containerStep(input({ current: exited(1), attempt: 2, restartDelayMs: 80_000 })), {
    action: 'backoff',
    remainingMs: 20_000,
  });
  assert.deepEqual(containerStep(input({ current: exited(1), attempt: 2, restartDelayMs: 60_000 })), {
    action: 'create',
    attempt: 3,
  });
});
