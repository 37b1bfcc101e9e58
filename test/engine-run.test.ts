/**
 * End-to-end through the CLI against a real marinad: `run` output and exit codes, bad input, and many
 * runs at once. One daemon for the file; every container is removed by the test that made it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName, useDaemon } from './harness.ts';

describe('engine: run', () => {
  const d = useDaemon();

  test('run prints stdout and stderr and exits with the container code', async () => {
    const r = await d.marina(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /err/);
  });

  test('--rm leaves no container behind; without --rm the exit is recorded', async () => {
    const name = uniqueName('keep');
    const r = await d.marina(['run', '--name', name, 'busybox', 'sh', '-c', 'exit 5']);
    assert.equal(r.code, 5, r.stderr);
    assert.equal((await d.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])).trim(), 'exited 5');
    assert.match(await d.ok(['ps', '-a']), /Exited \(5\)/);
    await d.ok(['rm', name]);
    const gone = await d.marina(['inspect', '--type', 'container', name]);
    assert.notEqual(gone.code, 0);
  });

  test('environment, workdir and user reach the process', async () => {
    const out = await d.ok(['run', '--rm', '-e', 'GREETING=hi', '-w', '/tmp', '-u', '1000:1000', 'busybox', 'sh', '-c', 'echo $GREETING $(pwd) $(id -u):$(id -g) $HOSTNAME']);
    const [greeting, cwd, ids, hostname] = out.trim().split(' ');
    assert.equal(greeting, 'hi');
    assert.equal(cwd, '/tmp');
    assert.equal(ids, '1000:1000');
    assert.match(hostname ?? '', /^[0-9a-f]{12}$/);
  });

  test('a command that does not exist exits 127 and says so', async () => {
    const r = await d.marina(['run', '--rm', 'busybox', 'no-such-command']);
    assert.equal(r.code, 127, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /no-such-command/);
  });

  test('bad input is refused and changes nothing', async () => {
    const before = await d.ok(['ps', '-a', '-q']);
    const unknownImage = await d.marina(['run', '--rm', 'no-such-image-here', 'true']);
    assert.notEqual(unknownImage.code, 0);
    assert.match(unknownImage.stderr, /no-such-image-here/);

    const badMemory = await d.marina(['run', '--rm', '-m', '12x', 'busybox', 'true']);
    assert.notEqual(badMemory.code, 0);
    assert.match(badMemory.stderr, /invalid memory value "12x"/);

    const badPolicy = await d.marina(['run', '-d', '--restart', 'sometimes', 'busybox', 'true']);
    assert.notEqual(badPolicy.code, 0);
    assert.match(badPolicy.stderr, /invalid restart policy "sometimes"/);

    const unknown = await d.marina(['stop', 'no-such-container']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /No such container: no-such-container/);
    assert.equal(await d.ok(['ps', '-a', '-q']), before);
  });

  test('a name in use is a conflict naming the holder', async () => {
    const name = uniqueName('taken');
    const id = (await d.ok(['create', '--name', name, 'busybox', 'true'])).trim();
    try {
      const r = await d.marina(['create', '--name', name, 'busybox', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`The container name "/${name}" is already in use by container "${id}"`));
    } finally {
      await d.ok(['rm', '-f', name]);
    }
  });

  test('ten runs at once all succeed', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => d.marina(['run', '--rm', 'busybox', 'echo', `run-${i}`], { timeoutMs: 120_000 })),
    );
    results.forEach((r, i) => {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `run-${i}\n`);
    });
    assert.equal((await d.ok(['ps', '-a', '-q'])).trim(), '');
  });

  test('stop ends a running container with its stop signal, rm -f removes a running one', async () => {
    const name = uniqueName('stop');
    await d.ok(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'trap "exit 42" TERM; while true; do sleep 0.1; done']);
    await d.ok(['stop', name]);
    assert.equal((await d.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])).trim(), 'exited 42');
    await d.ok(['rm', name]);

    const forced = uniqueName('forced');
    await d.ok(['run', '-d', '--name', forced, 'busybox', 'sleep', '1000']);
    const refused = await d.marina(['rm', forced]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot remove a running container/);
    await d.ok(['rm', '-f', forced]);
    assert.equal((await d.ok(['ps', '-a', '-q'])).trim(), '');
  });

  test('a run emits create, start, die and destroy events in order', async () => {
    const name = uniqueName('events');
    const since = String(Math.floor(Date.now() / 1000) - 1);
    assert.equal((await d.marina(['run', '--rm', '--name', name, 'busybox', 'sh', '-c', 'exit 2'])).code, 2);
    // `events` streams until interrupted; the history is printed first, then the CLI is stopped.
    const r = await d.marina(['events', '--since', since, '--filter', `container=${name}`, '--format', 'json'], { timeoutMs: 3000 });
    const actions = r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { action?: string; Action?: string; actor?: { attributes?: Record<string, string> } });
    assert.deepEqual(
      actions.map((e) => e.action ?? e.Action),
      ['create', 'start', 'die', 'destroy'],
      r.stdout,
    );
    assert.equal(actions[2]?.actor?.attributes?.exitCode, '2');
  });
});
