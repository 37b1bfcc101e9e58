/** Restart policies, end to end: on-failure counts, always keeps going, an explicit stop ends it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually, uniqueName, useDaemon } from './harness.ts';

describe('engine: restart policies', () => {
  const d = useDaemon();
  const state = async (name: string) =>
    (await d.ok(['inspect', '-f', '{{.State.Status}} {{.State.RestartCount}} {{.State.ExitCode}}', name])).trim();

  test('on-failure:2 restarts twice, then stays exited', async () => {
    const name = uniqueName('onfail');
    await d.ok(['run', '-d', '--name', name, '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']);
    await eventually(async () => (await state(name)) === 'exited 2 3', 15_000, 'two restarts then exited');
    // Backoff after the second restart would be 400 ms; give a third restart ample room to show up.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await state(name), 'exited 2 3');
    await d.ok(['rm', name]);
  });

  test('on-failure does not restart a clean exit', async () => {
    const name = uniqueName('clean');
    const r = await d.marina(['run', '--name', name, '--restart', 'on-failure', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await state(name), 'exited 0 0');
    await d.ok(['rm', name]);
  });

  test('always restarts even clean exits; stop turns it off', async () => {
    const name = uniqueName('always');
    await d.ok(['run', '-d', '--name', name, '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2']);
    await eventually(async () => Number((await state(name)).split(' ')[1]) >= 2, 15_000, 'two restarts');
    await d.ok(['stop', '-t', '1', name]);
    const stopped = await state(name);
    assert.match(stopped, /^exited /);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await state(name), stopped);
    await d.ok(['rm', name]);
  });
});
