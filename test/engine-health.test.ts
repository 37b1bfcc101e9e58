/** Healthchecks, end to end: probes run in the container, an unhealthy container is restarted by default. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually, uniqueName, useDaemon } from './harness.ts';

describe('engine: healthchecks', () => {
  const d = useDaemon();
  const inspect = async (name: string, format: string) =>
    (await d.ok(['inspect', '-f', format, name])).trim();
  const fast = ['--health-interval', '200ms', '--health-retries', '2'];

  test('a container whose check passes once its command is ready becomes healthy', async () => {
    const name = uniqueName('healthy');
    // The start period covers the failures before /tmp/ok exists (4 of them at most), so they do not count.
    const startPeriod = ['--health-start-period', '3s'];
    const command = ['sh', '-c', 'sleep 1; touch /tmp/ok; sleep 60'];
    await d.ok([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd',
      'test -e /tmp/ok',
      ...fast,
      ...startPeriod,
      'busybox',
      ...command,
    ]);
    assert.equal(await inspect(name, '{{.State.Health.Status}}'), 'starting');
    assert.match(await d.ok(['ps']), new RegExp(`\\(health: starting\\)\\s+${name}`));
    await eventually(
      async () => (await inspect(name, '{{.State.Health.Status}}')) === 'healthy',
      5000,
      'healthy',
    );
    assert.match(await d.ok(['ps']), new RegExp(`\\(healthy\\)\\s+${name}`));
    const log = JSON.parse(await inspect(name, '{{json .State.Health.Log}}')) as { exitCode: number }[];
    assert.equal(log.at(-1)?.exitCode, 0);
    await d.ok(['rm', '-f', name]);
  });

  test('a container whose check always fails is restarted, counted, and running again', async () => {
    const name = uniqueName('sick');
    // The trap makes the stop signal (SIGTERM) end it at once; PID 1 ignores SIGTERM otherwise.
    const command = ['sh', '-c', 'trap "exit 0" TERM; sleep 60 & wait'];
    await d.ok([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd',
      'exit 1',
      ...fast,
      '--stop-timeout',
      '1',
      'busybox',
      ...command,
    ]);
    await eventually(
      async () => Number(await inspect(name, '{{.State.RestartCount}}')) >= 1,
      8000,
      'a restart',
    );
    await eventually(
      async () => (await inspect(name, '{{.State.Status}}')) === 'running',
      5000,
      'running again',
    );
    const log = JSON.parse(await inspect(name, '{{json .State.Health.Log}}')) as { exitCode: number }[];
    assert.ok(log.length >= 2 && log.every((r) => r.exitCode === 1), JSON.stringify(log));
    // An explicit stop ends probing: no restart follows.
    await d.ok(['stop', '-t', '1', name]);
    const count = await inspect(name, '{{.State.RestartCount}}');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await inspect(name, '{{.State.Status}} {{.State.RestartCount}}'), `exited ${count}`);
    await d.ok(['rm', name]);
  });

  test('with --health-on-failure none it is only marked unhealthy', async () => {
    const name = uniqueName('marked');
    await d.ok([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd',
      'false',
      ...fast,
      '--health-on-failure',
      'none',
      'busybox',
      'sleep',
      '60',
    ]);
    await eventually(
      async () => (await inspect(name, '{{.State.Health.Status}}')) === 'unhealthy',
      5000,
      'unhealthy',
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      await inspect(name, '{{.State.Status}} {{.State.RestartCount}} {{.State.Health.Status}}'),
      'running 0 unhealthy',
    );
    assert.match(await d.ok(['ps']), new RegExp(`\\(unhealthy\\)\\s+${name}`));
    await d.ok(['rm', '-f', name]);
  });

  test('probing resumes for a container re-adopted after a daemon restart', async () => {
    const name = uniqueName('adopted');
    await d.ok(['run', '-d', '--name', name, '--health-cmd', 'true', ...fast, 'busybox', 'sleep', '60']);
    await eventually(
      async () => (await inspect(name, '{{.State.Health.Status}}')) === 'healthy',
      5000,
      'healthy',
    );
    await d.stop();
    await d.start();
    const lastProbe = await inspect(name, '{{json .State.Health.Log}}');
    await eventually(
      async () => (await inspect(name, '{{json .State.Health.Log}}')) !== lastProbe,
      5000,
      'a new probe',
    );
    assert.equal(await inspect(name, '{{.State.Status}} {{.State.Health.Status}}'), 'running healthy');
    await d.ok(['rm', '-f', name]);
  });

  test('a bad duration is refused with 125 before anything is created', async () => {
    const name = uniqueName('bad');
    const r = await d.marina([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd',
      'true',
      '--health-interval',
      'abc',
      'busybox',
      'true',
    ]);
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, /invalid health-interval value "abc"/);
    assert.doesNotMatch(await d.ok(['ps', '-a']), new RegExp(name));
  });
});
