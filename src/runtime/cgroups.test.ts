import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectCgroupMode, parseLimit, readCgroupStats, wasOomKilled } from './cgroups.ts';

function fakeRoot(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cgroups-test-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

test('limits: max and v1 unlimited are 0', () => {
  assert.equal(parseLimit('max\n'), 0);
  assert.equal(parseLimit('9223372036854771712\n'), 0);
  assert.equal(parseLimit('8388608\n'), 8388608);
});

test('v1 stats and OOM kill counter', async (t) => {
  const root = fakeRoot(t, {
    'memory/m/c/memory.usage_in_bytes': '1000\n',
    'memory/m/c/memory.limit_in_bytes': '8388608\n',
    'memory/m/c/memory.stat': 'cache 10\ntotal_cache 20\ntotal_inactive_file 7\n',
    'memory/m/c/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n',
    'cpuacct/m/c/cpuacct.usage': '123456\n',
    'pids/m/c/pids.current': '3\n',
    'pids/m/c/pids.max': 'max\n',
  });
  assert.equal(detectCgroupMode(root), 'v1');
  assert.deepEqual(await readCgroupStats('/m/c', root), {
    memory: { usageBytes: 1000, limitBytes: 8388608, cacheBytes: 20, inactiveFileBytes: 7 },
    cpu: { totalUsageNs: 123456 },
    pids: { current: 3, limit: 0 },
  });
  assert.equal(await wasOomKilled('/m/c', root), true);
  assert.equal(await wasOomKilled('/m/gone', root), false);
});

test('v2 stats and OOM kill counter', async (t) => {
  const root = fakeRoot(t, {
    'cgroup.controllers': 'cpu memory pids\n',
    'm/c/memory.current': '2000\n',
    'm/c/memory.max': 'max\n',
    'm/c/memory.stat': 'file 30\ninactive_file 9\n',
    'm/c/memory.events': 'low 0\nhigh 0\nmax 2\noom 1\noom_kill 0\n',
    'm/c/cpu.stat': 'usage_usec 5\nuser_usec 3\n',
    'm/c/pids.current': '1\n',
    'm/c/pids.max': '10\n',
  });
  assert.equal(detectCgroupMode(root), 'v2');
  assert.deepEqual(await readCgroupStats('/m/c', root), {
    memory: { usageBytes: 2000, limitBytes: 0, cacheBytes: 30, inactiveFileBytes: 9 },
    cpu: { totalUsageNs: 5000 },
    pids: { current: 1, limit: 10 },
  });
  assert.equal(await wasOomKilled('/m/c', root), false);
});
