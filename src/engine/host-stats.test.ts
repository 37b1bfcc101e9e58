import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onlineCpus, systemCpuNs } from './host-stats.ts';

const procStat = `cpu  100 2 30 400 5 0 6 0 9 0
cpu0 50 1 15 200 2 0 3 0 9 0
cpu1 50 1 15 200 3 0 3 0 0 0
intr 12345
`;

test('system cpu sums the first eight fields in ns; online cpus counts cpuN lines', () => {
  assert.equal(systemCpuNs(procStat), (100 + 2 + 30 + 400 + 5 + 0 + 6 + 0) * 10_000_000);
  assert.equal(onlineCpus(procStat), 2);
  assert.equal(systemCpuNs('intr 1\n'), 0);
});
