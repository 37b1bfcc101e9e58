import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerHealth, HealthcheckConfig, HealthProbeResult } from './container-types.ts';
import { healthStatusSuffix, nextHealth, startingHealth } from './health-monitor.ts';

const config: HealthcheckConfig = {
  command: ['true'],
  intervalMs: 1000,
  timeoutMs: 1000,
  startPeriodMs: 0,
  retries: 3,
  onFailure: 'restart',
};
const startedAt = '2025-01-01T00:00:00.000Z';
const t0 = Date.parse(startedAt);
const probe = (exitCode: number, output = ''): HealthProbeResult => ({
  start: startedAt,
  end: startedAt,
  exitCode,
  output,
});

/** Feeds exit codes in order, one second apart, from a fresh start. */
function run(codes: number[], cfg = config) {
  let health: ContainerHealth | undefined;
  const steps = codes.map((code, i) => {
    const step = nextHealth({ health, startedAt }, probe(code), cfg, t0 + (i + 1) * 1000);
    health = step.health;
    return step;
  });
  return { health: health!, steps };
}

test('a success makes a starting container healthy and clears the streak', () => {
  const { health, steps } = run([1, 0]);
  assert.deepEqual([health.status, health.failingStreak], ['healthy', 0]);
  assert.deepEqual(
    steps.map((s) => s.changed),
    [false, true],
  );
  assert.ok(steps.every((s) => !s.act));
});

test('retries failures in a row make it unhealthy once, and only then is there something to do', () => {
  const { health, steps } = run([0, 1, 1, 1, 1]);
  assert.deepEqual([health.status, health.failingStreak], ['unhealthy', 4]);
  assert.deepEqual(
    steps.map((s) => s.health.status),
    ['healthy', 'healthy', 'healthy', 'unhealthy', 'unhealthy'],
  );
  assert.deepEqual(
    steps.map((s) => s.act),
    [false, false, false, true, false],
  );
  assert.equal(run([1, 1, 0, 1, 1]).health.status, 'healthy', 'a success in between resets the streak');
});

test('a container that never succeeded turns unhealthy from starting; any non-zero code and a timeout count', () => {
  const { health, steps } = run([2, -1, 137]);
  assert.equal(health.status, 'unhealthy');
  assert.deepEqual(
    steps.map((s) => s.changed),
    [false, false, true],
  );
});

test('failures during the start period are logged but do not count, until the first success ends it', () => {
  const withStartPeriod = { ...config, startPeriodMs: 2500, retries: 1 };
  const { health, steps } = run([1, 1, 1], withStartPeriod);
  assert.deepEqual(
    steps.map((s) => s.health.failingStreak),
    [0, 0, 1],
  );
  assert.equal(health.status, 'unhealthy');
  assert.equal(health.log.length, 3);
  // After a success the start period no longer shelters failures.
  assert.equal(run([0, 1], withStartPeriod).health.status, 'unhealthy');
});

test('onFailure none marks the container but asks for nothing', () => {
  const { health, steps } = run([1, 1, 1], { ...config, onFailure: 'none' });
  assert.equal(health.status, 'unhealthy');
  assert.ok(steps.every((s) => !s.act));
});

test('the log keeps the last 5 results; a new run starts over but keeps the log', () => {
  const { health } = run([1, 0, 1, 0, 1, 0, 1]);
  assert.equal(health.log.length, 5);
  assert.deepEqual(
    health.log.map((r) => r.exitCode),
    [1, 0, 1, 0, 1],
  );
  assert.deepEqual(startingHealth(health.log), { status: 'starting', failingStreak: 0, log: health.log });
});

test('ps shows the health of running containers in Docker words', () => {
  const health = (status: ContainerHealth['status']) => ({ status, failingStreak: 0, log: [] });
  assert.equal(healthStatusSuffix({ status: 'running', health: health('starting') }), ' (health: starting)');
  assert.equal(healthStatusSuffix({ status: 'running', health: health('healthy') }), ' (healthy)');
  assert.equal(healthStatusSuffix({ status: 'running', health: health('unhealthy') }), ' (unhealthy)');
  assert.equal(healthStatusSuffix({ status: 'exited', health: health('unhealthy') }), '');
  assert.equal(healthStatusSuffix({ status: 'running' }), '');
});
