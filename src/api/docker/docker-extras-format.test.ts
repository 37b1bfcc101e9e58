import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerStatsJson, execCreateOf, goFileMode, pathStatHeader, stoppedStats } from './docker-extras-format.ts';

test('goFileMode puts the file type where Go\'s os.FileMode has it', () => {
  assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755, 'directory');
  assert.equal(goFileMode(0o100644), 0o644, 'regular file');
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777, 'symlink');
  assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777, 'sticky directory');
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755, 'setuid');
});

test('the path stat header is base64 JSON with the Go mode', () => {
  const header = pathStatHeader({ name: 'tmp', size: 4096, mode: 0o041777, mtime: '2024-01-01T00:00:00.000Z', linkTarget: '' });
  assert.deepEqual(JSON.parse(Buffer.from(header, 'base64').toString()), {
    name: 'tmp',
    size: 4096,
    mode: 2 ** 31 + 2 ** 20 + 0o777,
    mtime: '2024-01-01T00:00:00.000Z',
    linkTarget: '',
  });
});

test('exec create body: command required, fields mapped', () => {
  assert.throws(() => execCreateOf({}), { code: 'Invalid', message: /No exec command specified/ });
  assert.throws(() => execCreateOf({ Cmd: ['sh'], Env: 'A=1' }), { code: 'Invalid', message: /Env must be a list/ });
  assert.deepEqual(
    execCreateOf({ Cmd: ['sh'], Env: ['A=1'], WorkingDir: '/etc', User: '', Tty: true, AttachStdin: true, ConsoleSize: [30, 100] }),
    { cmd: ['sh'], env: ['A=1'], workingDir: '/etc', user: undefined, tty: true, attachStdin: true, privileged: false, consoleSize: { height: 30, width: 100 } },
  );
});

test('stats: precpu from the previous sample, host memory as the limit of an unlimited container', () => {
  const sample = (totalUsageNs: number, read: string) => ({
    ...stoppedStats('abc', 'web'),
    read,
    cpu: { totalUsageNs, systemUsageNs: totalUsageNs * 10, onlineCpus: 2 },
    memory: { usageBytes: 100, limitBytes: 0, cacheBytes: 5, inactiveFileBytes: 7 },
    networks: [{ interface: 'eth0', rxBytes: 1, rxPackets: 2, txBytes: 3, txPackets: 4 }],
  });
  const json = dockerStatsJson(sample(200, 't2'), sample(100, 't1'), 4096);
  assert.equal(json.name, '/web');
  assert.equal(json.preread, 't1');
  assert.equal(json.cpu_stats.cpu_usage.total_usage, 200);
  assert.equal(json.precpu_stats.cpu_usage.total_usage, 100);
  assert.deepEqual(json.memory_stats, { usage: 100, limit: 4096, stats: { cache: 5, inactive_file: 7 } });
  assert.equal(json.networks.eth0?.tx_bytes, 3);
  assert.equal(dockerStatsJson(sample(1, 't'), undefined, 1).preread, '0001-01-01T00:00:00Z');
});
