/** marina's container verbs against a real marinad: run, exit codes, stdio, ps, inspect, logs, exec, stop, wait, rm. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueName, useDaemon } from './harness.ts';

const d = useDaemon();

test('run --rm prints the output, exits with the code, leaves nothing behind', async () => {
  const name = uniqueName('rm');
  const r = await d.marina([
    'run',
    '--rm',
    '--name',
    name,
    'busybox',
    'sh',
    '-c',
    'echo out; echo err >&2; exit 3',
  ]);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.code, 3);
  assert.doesNotMatch(await d.ok(['ps', '-a', '--no-trunc']), new RegExp(name));
});

test('run -i passes stdin through and closes it at EOF', async () => {
  const r = await d.marina(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], {
    input: 'from stdin\n',
  });
  assert.equal(r.stdout, 'from stdin\ndone\n');
  assert.equal(r.code, 0);
});

test('exit codes: command not found 127, bad flag 125, missing image 125', async () => {
  const missing = await d.marina(['run', '--rm', 'busybox', 'no-such-command']);
  assert.equal(missing.code, 127, missing.stderr);
  const badFlag = await d.marina(['run', '--memory', 'lots', 'busybox', 'true']);
  assert.equal(badFlag.code, 125);
  assert.match(badFlag.stderr, /invalid memory value "lots"/);
  const noImage = await d.marina(['run', '--rm', 'no-such-image:1', 'true']);
  assert.equal(noImage.code, 125);
  assert.match(noImage.stderr, /Error response from daemon: .*no-such-image/);
});

test('a detached container through ps, inspect, exec, logs, stop, wait and rm', async () => {
  const name = uniqueName('det');
  const id = (
    await d.ok([
      'run',
      '-d',
      '--name',
      name,
      '-e',
      'GREETING=hello',
      'busybox',
      'sh',
      '-c',
      'echo started; exec sleep 600',
    ])
  ).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  try {
    const ps = await d.ok(['ps']);
    assert.match(ps.split('\n')[0]!, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    assert.match(ps, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s.*Up .*${name}$`, 'm'));
    assert.equal(await d.ok(['ps', '-q', '--no-trunc']).then((s) => s.split('\n').includes(id)), true);

    assert.equal(
      (await d.ok(['inspect', '-f', '{{.State.Running}} {{.Name}}', name])).trim(),
      `true ${name}`,
    );
    const [record] = JSON.parse(await d.ok(['inspect', name])) as [{ id: string }];
    assert.equal(record.id, id);

    assert.equal(await d.ok(['exec', name, 'sh', '-c', 'echo $GREETING']), 'hello\n');
    assert.equal((await d.marina(['exec', name, 'sh', '-c', 'exit 5'])).code, 5);
    assert.equal(await d.ok(['exec', '-i', name, 'cat'], { input: 'piped' }), 'piped');

    assert.equal(await d.ok(['logs', name]), 'started\n');
    assert.match(await d.ok(['logs', '-t', name]), /^\d{4}-\d\d-\d\dT\S+ started\n$/);

    assert.equal((await d.ok(['stop', '-t', '1', name])).trim(), name);
    assert.equal((await d.ok(['wait', name])).trim(), '137');
    assert.match(await d.ok(['ps', '-a']), new RegExp(`Exited \\(137\\).*${name}`));
  } finally {
    await d.marina(['rm', '-f', name]);
  }
  const gone = await d.marina(['inspect', name]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, new RegExp(`No such object: ${name}`));
});

test('verbs on an unknown container fail with the daemon message and exit 1', async () => {
  const r = await d.marina(['stop', 'no-such-container']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error response from daemon: .*no-such-container/);
});

test('logs -f follows until the container exits; events replay its life since a time', async () => {
  const name = uniqueName('follow');
  const since = String(Math.floor(Date.now() / 1000) - 1);
  await d.ok([
    'run',
    '-d',
    '--name',
    name,
    'busybox',
    'sh',
    '-c',
    'echo one; sleep 0.5; echo two >&2; exit 2',
  ]);
  try {
    const followed = await d.marina(['logs', '-f', name]);
    assert.equal(followed.code, 0);
    assert.equal(followed.stdout, 'one\n');
    assert.equal(followed.stderr, 'two\n');
    assert.equal((await d.ok(['wait', name])).trim(), '2');

    // events streams until interrupted; the harness's timeout ends it after the replay.
    const events = await d.marina(['events', '--since', since, '--filter', `container=${name}`], {
      timeoutMs: 1500,
    });
    const actions = events.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[2]);
    assert.deepEqual(actions, ['create', 'start', 'die']);
    assert.match(
      events.stdout,
      new RegExp(`container die [0-9a-f]{64} \\(exitCode=2, image=busybox, name=${name}\\)`),
    );
  } finally {
    await d.marina(['rm', '-f', name]);
  }
});
