import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BackoffState, countExit, kubeletBackoff, restartDelayMs } from './restart-backoff.ts';

test('the first restart is immediate, then waits double from 10 s up to 5 min', () => {
  let state: BackoffState | undefined;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    state = countExit(state, `c${i}`, 1000, kubeletBackoff);
    delays.push(restartDelayMs(state, kubeletBackoff));
  }
  assert.deepEqual(delays, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
});

test('one exit is counted once however often it is seen', () => {
  const once = countExit(countExit(undefined, 'a', 0, kubeletBackoff), 'b', 0, kubeletBackoff);
  assert.equal(countExit(once, 'b', 0, kubeletBackoff), once);
  assert.equal(once.crashes, 2);
});

test('a container that ran twice the cap before exiting starts the back-off over', () => {
  let state = countExit(undefined, 'a', 0, kubeletBackoff);
  state = countExit(state, 'b', 0, kubeletBackoff);
  state = countExit(state, 'c', 2 * kubeletBackoff.maxMs, kubeletBackoff);
  assert.equal(restartDelayMs(state, kubeletBackoff), 0);
});

test('the base is configurable', () => {
  const policy = { baseMs: 100, maxMs: 250 };
  let state = countExit(undefined, 'a', 0, policy);
  state = countExit(state, 'b', 0, policy);
  assert.equal(restartDelayMs(state, policy), 100);
  state = countExit(countExit(state, 'c', 0, policy), 'd', 0, policy);
  assert.equal(restartDelayMs(state, policy), 250);
});
