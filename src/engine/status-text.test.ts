import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createdState } from './container-store.ts';
import type { ContainerState } from './container-types.ts';
import { humanDuration, statusText } from './status-text.ts';

test('human durations', () => {
  assert.equal(humanDuration(300), 'Less than a second');
  assert.equal(humanDuration(1_000), '1 second');
  assert.equal(humanDuration(3_400), '3 seconds');
  assert.equal(humanDuration(90_000), 'About a minute');
  assert.equal(humanDuration(2 * 60_000), '2 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(5 * 3_600_000), '5 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
  assert.equal(humanDuration(21 * 86_400_000), '3 weeks');
  assert.equal(humanDuration(90 * 86_400_000), '3 months');
  assert.equal(humanDuration(800 * 86_400_000), '2 years');
});

const state = (over: Partial<ContainerState>): ContainerState => ({
  ...createdState(),
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:10.000Z',
  ...over,
});
const now = Date.parse('2026-01-01T00:02:10.000Z');

test('status text per state', () => {
  assert.equal(statusText(state({}), now), 'Created');
  assert.equal(statusText(state({ status: 'running' }), Date.parse('2026-01-01T00:00:03.500Z')), 'Up 3 seconds');
  assert.equal(statusText(state({ status: 'exited', exitCode: 0 }), now), 'Exited (0) 2 minutes ago');
  assert.equal(statusText(state({ status: 'exited', exitCode: 137 }), now), 'Exited (137) 2 minutes ago');
  assert.equal(statusText(state({ status: 'restarting', exitCode: 1 }), now), 'Restarting (1) 2 minutes ago');
  assert.equal(statusText(state({ status: 'dead' }), now), 'Dead');
});
