/** Container logs through the CLI, with the daemon rotating them at a tiny size. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon, type TestDaemon, uniqueName } from './harness.ts';

describe('engine: logs and rotation', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon({ args: ['--log-max-size', '4k', '--log-max-files', '3'] });
  });
  after(async () => {
    await d?.destroy();
  });

  test('logs show each stream in order', async () => {
    const name = uniqueName('logs');
    await d.ok(['run', '--name', name, 'busybox', 'sh', '-c', 'echo one; echo two >&2; echo three']);
    const r = await d.marina(['logs', name]);
    assert.equal(r.stdout, 'one\nthree\n');
    assert.equal(r.stderr, 'two\n');
    await d.ok(['rm', name]);
  });

  test('--tail keeps the last entries', async () => {
    // One stream only: conmon reads stdout and stderr separately, so their relative order can vary.
    const name = uniqueName('tail');
    await d.ok(['run', '--name', name, 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo $i; done']);
    assert.equal(await d.ok(['logs', '--tail', '2', name]), '4\n5\n');
    await d.ok(['rm', name]);
  });

  test('a chatty container has its log rotated, keeping at most max-files files, newest lines last', async () => {
    const name = uniqueName('chatty');
    const id = (
      await d.ok([
        'run', '-d', '--name', name, 'busybox', 'sh', '-c',
        'i=0; while [ $i -lt 300 ]; do echo "line-$i-padding-padding-padding-padding"; i=$((i+1)); [ $((i % 10)) -eq 0 ] && sleep 0.3; done',
      ])
    ).trim();
    await d.ok(['wait', name]);
    const log = join(d.root, 'containers', id, 'ctr.log');
    assert.ok(existsSync(`${log}.1`), 'the log was never rotated');
    assert.ok(!existsSync(`${log}.3`), 'more files kept than --log-max-files');
    const lines = (await d.ok(['logs', name])).trim().split('\n');
    assert.equal(lines.at(-1), 'line-299-padding-padding-padding-padding');
    assert.ok(lines.length < 300, 'old lines should have rotated away');
    // What is kept is a contiguous run of the newest lines.
    const first = Number(lines[0]!.split('-')[1]);
    for (const [i, line] of lines.entries()) assert.equal(line, `line-${first + i}-padding-padding-padding-padding`);
    await d.ok(['rm', name]);
  });
});
