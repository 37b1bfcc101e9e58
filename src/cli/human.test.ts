import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binarySize, columns, cpuPercent, decimalSize, psCommand, shortId, timeAgo } from './human.ts';

test('ids and sizes', () => {
  assert.equal(shortId('sha256:0123456789abcdef0123'), '0123456789ab');
  assert.equal(decimalSize(4_261_000), '4.26MB');
  assert.equal(decimalSize(512), '512B');
  assert.equal(binarySize(1536 * 1024), '1.5MiB');
});

test('time ago like docker', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  assert.equal(timeAgo('2026-01-01T00:09:55Z', now), '5 seconds ago');
  assert.equal(timeAgo('2026-01-01T00:08:00Z', now), '2 minutes ago');
  assert.equal(timeAgo('2025-12-31T23:10:00Z', now), 'About an hour ago');
});

test('ps command truncation and column layout', () => {
  assert.equal(psCommand('sh -c while true; do sleep 1; done', true), '"sh -c while true; d…"');
  assert.equal(psCommand('true', true), '"true"');
  assert.equal(columns(['A', 'BB'], [['xyz', '1']]), 'A     BB\nxyz   1');
});

test('cpu percent from two samples', () => {
  const before = { totalUsageNs: 0, systemUsageNs: 0, onlineCpus: 2 };
  assert.equal(cpuPercent(before, { totalUsageNs: 50, systemUsageNs: 200, onlineCpus: 2 }), 50);
  assert.equal(cpuPercent(before, before), 0);
});
