/**
 * What a container cannot see or do, observed from inside it: namespaces, network, hostname, mounts,
 * capabilities, seccomp, read-only root, and the memory and pids limits.
 */
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { uniqueName, useDaemon } from './harness.ts';

describe('engine: isolation and limits', () => {
  const d = useDaemon();
  const run = (...args: string[]) => d.ok(['run', '--rm', ...args]);

  test('pid, mount, ipc, uts and net namespaces all differ from the host', async () => {
    const kinds = ['pid', 'mnt', 'ipc', 'uts', 'net'];
    const inside = (await run('busybox', 'sh', '-c', kinds.map((k) => `readlink /proc/self/ns/${k}`).join('; '))).trim().split('\n');
    kinds.forEach((kind, i) => {
      const host = readlinkSync(`/proc/self/ns/${kind}`);
      assert.match(inside[i] ?? '', new RegExp(`^${kind}:\\[\\d+\\]$`));
      assert.notEqual(inside[i], host, `${kind} namespace is shared with the host`);
    });
  });

  test('the process is pid 1 and sees only its own processes', async () => {
    const [self, count] = (await run('busybox', 'sh', '-c', 'echo $$; ls /proc | grep -c "^[0-9]"')).trim().split('\n');
    assert.equal(self, '1');
    assert.ok(Number(count) <= 4, `saw ${count} processes`);
    assert.equal((await run('busybox', 'cat', '/proc/1/cmdline')).replace(/\0/g, ' ').trim(), 'cat /proc/1/cmdline');
  });

  test('network none: only loopback; hostname is its own', async () => {
    assert.equal((await run('--network', 'none', 'busybox', 'ls', '/sys/class/net')).trim(), 'lo');
    const name = (await run('busybox', 'hostname')).trim();
    assert.notEqual(name, hostname());
    assert.match(name, /^[0-9a-f]{12}$/);
    assert.equal((await run('--hostname', 'box1', 'busybox', 'hostname')).trim(), 'box1');
    assert.match(await run('busybox', 'cat', '/etc/hosts'), /^127\.0\.0\.1\tlocalhost$/m);
  });

  test("the host's mounts are not visible; the root is the container's overlay", async () => {
    const mounts = (await run('busybox', 'cat', '/proc/mounts')).trim().split('\n');
    const targets = mounts.map((l) => l.split(' ')[1]);
    assert.equal(mounts.find((l) => l.split(' ')[1] === '/')?.split(' ')[0], 'overlay');
    assert.ok(!targets.some((t) => t?.startsWith(d.root)), 'the state root is visible inside');
    assert.ok(!targets.includes('/sys/fs/cgroup/unified'), 'host cgroup mounts are visible inside');
  });

  test("capabilities: Docker's default set, none with --cap-drop ALL", async () => {
    const capEff = async (...flags: string[]) =>
      (await run(...flags, 'busybox', 'grep', 'CapEff', '/proc/self/status')).trim().split(/\s+/)[1];
    assert.equal(await capEff(), '00000000a80425fb');
    assert.equal(await capEff('--cap-drop', 'ALL'), '0000000000000000');
  });

  test('seccomp filters by default and not when unconfined', async () => {
    const mode = async (...flags: string[]) =>
      (await run(...flags, 'busybox', 'grep', 'Seccomp:', '/proc/self/status')).trim().split(/\s+/)[1];
    assert.equal(await mode(), '2');
    assert.equal(await mode('--security-opt', 'seccomp=unconfined'), '0');
  });

  test('read-only root refuses writes; tmpfs stays writable', async () => {
    const r = await d.marina(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Read-only file system/);
    await run('--read-only', '--tmpfs', '/scratch', 'busybox', 'touch', '/scratch/x');
  });

  test('pids limit stops forks beyond it', async () => {
    const r = await d.marina([
      'run', '--rm', '--pids-limit', '8', 'busybox', 'sh', '-c',
      'i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done; echo started',
    ]);
    assert.match(r.stderr, /can't fork|Resource temporarily unavailable/, `${r.code}\n${r.stdout}\n${r.stderr}`);
  });

  test('memory limit: the OOM kill exits 137 and inspect says OOMKilled', async () => {
    const name = uniqueName('oom');
    try {
      const r = await d.marina(['run', '--name', name, '-m', '16m', 'busybox', 'sh', '-c', 'x=aaaaaaaa; while true; do x=$x$x; done']);
      assert.equal(r.code, 137, r.stderr);
      assert.equal((await d.ok(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', name])).trim(), 'true 137');
    } finally {
      await d.marina(['rm', '-f', name]);
    }
  });

  test("stats report the container's memory limit and its processes", async () => {
    const name = uniqueName('stats');
    try {
      await d.ok(['run', '-d', '--name', name, '-m', '64m', 'busybox', 'sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
      const row = (await d.ok(['stats', '--no-stream', name])).trim().split('\n')[1] ?? '';
      assert.match(row, new RegExp(`^[0-9a-f]{12}\\s+${name}\\s`));
      assert.match(row, /\/ 64(\.0+)?\s?MiB/);
      assert.match(row, /\s3$/);
    } finally {
      await d.marina(['rm', '-f', name]);
    }
  });
});
