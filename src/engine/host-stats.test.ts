import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onlineCpus, parseNetDev, systemCpuNs } from './host-stats.ts';

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

test('parseNetDev reads each interface but loopback', () => {
  const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    1500      12    0    0    0     0          0         0      700       6    0    0    0     0       0          0
`;
  assert.deepEqual(parseNetDev(text), [{ interface: 'eth0', rxBytes: 1500, rxPackets: 12, txBytes: 700, txPackets: 6 }]);
});
