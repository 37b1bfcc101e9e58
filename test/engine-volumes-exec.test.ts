/** Volumes as containers use them, and exec into a running container, end to end through the CLI. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { uniqueName, useDaemon } from './harness.ts';

describe('engine: volumes and exec', () => {
  const d = useDaemon();

  test('a named volume is created on first use and outlives its containers', async () => {
    const volume = uniqueName('vol');
    await d.ok(['run', '--rm', '-v', `${volume}:/data`, 'busybox', 'sh', '-c', 'echo kept > /data/f']);
    assert.equal(await d.ok(['run', '--rm', '-v', `${volume}:/data:ro`, 'busybox', 'cat', '/data/f']), 'kept\n');
    const ro = await d.marina(['run', '--rm', '-v', `${volume}:/data:ro`, 'busybox', 'touch', '/data/g']);
    assert.match(ro.stderr, /Read-only file system/);
    assert.match(await d.ok(['volume', 'ls']), new RegExp(volume));
    await d.ok(['volume', 'rm', volume]);
  });

  test('a volume in use cannot be removed', async () => {
    const volume = uniqueName('busy');
    const name = uniqueName('user');
    await d.ok(['create', '--name', name, '-v', `${volume}:/data`, 'busybox', 'true']);
    const r = await d.marina(['volume', 'rm', volume]);
    assert.notEqual(r.code, 0);
    await d.ok(['rm', name]);
    await d.ok(['volume', 'rm', volume]);
  });

  test('anonymous volumes go with rm -v and with --rm', async () => {
    const before = (await d.ok(['volume', 'ls', '-q'])).trim();
    const name = uniqueName('anon');
    await d.ok(['run', '--name', name, '-v', '/scratch', 'busybox', 'sh', '-c', 'echo x > /scratch/f']);
    assert.notEqual((await d.ok(['volume', 'ls', '-q'])).trim(), before);
    await d.ok(['rm', '-v', name]);
    await d.ok(['run', '--rm', '-v', '/scratch', 'busybox', 'true']);
    assert.equal((await d.ok(['volume', 'ls', '-q'])).trim(), before);
  });

  test('bind mounts show host files; relative host paths are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'marina-bind-'));
    try {
      await d.ok(['run', '--rm', '-v', `${dir}:/host`, 'busybox', 'sh', '-c', 'echo from-container > /host/out']);
      assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'from-container\n');
      const r = await d.marina(['run', '--rm', '-v', './rel:/x', 'busybox', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /relative/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('exec runs in the container with its environment and returns the exit code', async () => {
    const name = uniqueName('exec');
    await d.ok(['run', '-d', '--name', name, '-e', 'FROM_RUN=1', '-w', '/tmp', 'busybox', 'sleep', '1000']);
    try {
      const out = await d.ok(['exec', '-e', 'FROM_EXEC=2', name, 'sh', '-c', 'echo $FROM_RUN $FROM_EXEC $(pwd) $(cat /proc/1/cmdline | tr "\\0" " ")']);
      assert.equal(out.trim(), '1 2 /tmp sleep 1000');
      const failed = await d.marina(['exec', name, 'sh', '-c', 'exit 6']);
      assert.equal(failed.code, 6);
      const missing = await d.marina(['exec', name, 'no-such-command']);
      assert.equal(missing.code, 127, missing.stderr);
    } finally {
      await d.marina(['rm', '-f', name]);
    }
  });
});
