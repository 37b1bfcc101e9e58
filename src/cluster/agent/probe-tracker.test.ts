import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialProbeState, type ProbeState, probeTiming, recordProbe } from './probe-tracker.ts';

const feed = (
  state: ProbeState,
  outcomes: boolean[],
  timing = probeTiming('readiness', { successThreshold: 2, failureThreshold: 3 }),
) => outcomes.reduce((s, ok) => recordProbe(s, ok, timing), state);

test('readiness starts failed, liveness succeeded, startup unknown', () => {
  assert.equal(initialProbeState('readiness').result, 'failure');
  assert.equal(initialProbeState('liveness').result, 'success');
  assert.equal(initialProbeState('startup').result, 'unknown');
});

test('the result flips only after the thresholds in a row', () => {
  let state = feed(initialProbeState('readiness'), [true]);
  assert.equal(state.result, 'failure', 'one success of two needed');
  state = feed(state, [true]);
  assert.equal(state.result, 'success');
  state = feed(state, [false, false, true, false, false]);
  assert.equal(state.result, 'success', 'a success in between resets the failures');
  state = feed(state, [false]);
  assert.equal(state.result, 'failure');
});

test('timing takes Kubernetes defaults; liveness and startup need one success', () => {
  assert.deepEqual(probeTiming('liveness', { successThreshold: 5 }), {
    initialDelayMs: 0,
    periodMs: 10_000,
    timeoutMs: 1000,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.equal(
    probeTiming('readiness', { successThreshold: 5, periodSeconds: 2, initialDelaySeconds: 3 })
      .successThreshold,
    5,
  );
  assert.equal(probeTiming('readiness', { periodSeconds: 2, initialDelaySeconds: 3 }).initialDelayMs, 3000);
});
