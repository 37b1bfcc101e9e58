/**
 * Live restore: marinad is killed with SIGKILL; its containers keep running under conmon. The next
 * marinad re-adopts the running one and records the exit of the one that ended while it was down.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually, uniqueName, useDaemon } from './harness.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('engine: live restore', () => {
  const d = useDaemon();

  test('containers survive kill -9 of marinad; exits while it was down are recorded', async () => {
    const keeps = uniqueName('keeps');
    const ends = uniqueName('ends');
    await d.ok(['run', '-d', '--name', keeps, 'busybox', 'sh', '-c', 'trap "exit 9" TERM; while true; do sleep 0.1; done']);
    await d.ok(['run', '-d', '--name', ends, 'busybox', 'sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 7']);
    const pid = Number(await d.ok(['inspect', '-f', '{{.State.Pid}}', keeps]));
    const endsPid = Number(await d.ok(['inspect', '-f', '{{.State.Pid}}', ends]));
    assert.ok(pid > 0 && alive(pid));

    d.kill9();
    await eventually(async () => (await d.marina(['ps'], { timeoutMs: 2000 })).code !== 0, 10_000, 'marinad to be gone');
    assert.ok(alive(pid), 'the container died with marinad');
    // Let the second container end while no daemon runs: create its go-file through its /proc root.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`/proc/${endsPid}/root/tmp/go`, '');
    await eventually(() => !alive(endsPid), 10_000, 'the second container to exit');

    await d.start();
    assert.equal((await d.ok(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', keeps])).trim(), `running ${pid}`);
    assert.equal((await d.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', ends])).trim(), 'exited 7');

    // The re-adopted container's later exit is seen too.
    await d.ok(['stop', keeps]);
    assert.equal((await d.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', keeps])).trim(), 'exited 9');
    await d.ok(['rm', keeps, ends]);
  });
});
