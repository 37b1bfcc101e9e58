/**
 * Docker's stdio edges with real clients against marinad's Docker socket: `docker exec -d` and exec start
 * without Upgrade (dockerode), attach with `logs=1` (the log so far, then live output; dockerode, which
 * attaches without Upgrade), and `docker kill`, which returns only once a SIGKILLed container has exited.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import Docker from 'dockerode';
import { eventually, showResult, uniqueName, useDaemon } from './harness.ts';

const d = useDaemon();
let client: Docker | undefined;
/** dockerode on the daemon's Docker socket, made once the daemon runs. */
const dockerode = () => (client ??= new Docker({ socketPath: d.dockerSocket }));


const ok = (args: string[]) => d.dockerOk(args);

/** A detached busybox running `cmd` (default: a long sleep); removed when the test ends, pass or fail. */
async function running(t: { after: (fn: () => Promise<unknown>) => void }, cmd: string[] = ['sleep', '600']) {
  const name = uniqueName('stdio');
  t.after(() => d.docker(['rm', '-f', name]));
  await ok(['run', '-d', '--name', name, 'busybox', ...cmd]);
  return name;
}

/** stdout and stderr of a multiplexed stream, split by dockerode's demuxer, once the stream has ended. */
async function demux(stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  out.on('data', (b: Buffer) => chunks.stdout.push(b));
  err.on('data', (b: Buffer) => chunks.stderr.push(b));
  dockerode().modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  return { stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() };
}

test('exec -d runs the command unattended and returns while it still runs', async (t) => {
  const name = await running(t);
  assert.equal(await ok(['exec', '-d', name, 'sh', '-c', 'echo hi > /tmp/x']), '');
  // The detached command may still be running when exec -d returns: wait for its file.
  await eventually(async () => (await d.docker(['exec', name, 'cat', '/tmp/x'])).stdout === 'hi\n', 10_000, '/tmp/x to hold hi');

  // A command that never ends on its own: exec -d returns anyway, and the process shows in top.
  assert.equal(await ok(['exec', '-d', name, 'sleep', '4321']), '');
  assert.match(await ok(['top', name]), /sleep 4321/);
});

test('exec start without Upgrade streams the output on the plain response (dockerode without hijack)', async (t) => {
  const container = dockerode().getContainer(await running(t));
  const exec = await container.exec({ Cmd: ['sh', '-c', 'echo out; echo err >&2'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: false });
  assert.deepEqual(await demux(stream), { stdout: 'out\n', stderr: 'err\n' });
  assert.equal((await exec.inspect()).ExitCode, 0);
});

test('attach with logs replays the log so far, then streams live output; without stream, the replay alone', async (t) => {
  const name = await running(t, ['sh', '-c', 'echo first; echo early-err >&2; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo second']);
  await eventually(async () => (await ok(['logs', name])) === 'first\n', 10_000, 'the first line in the log');
  const container = dockerode().getContainer(name);

  const attached = (await container.attach({ stream: true, logs: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
  const attachOutput = demux(attached);
  await ok(['exec', name, 'touch', '/tmp/go']);
  assert.deepEqual(await attachOutput, { stdout: 'first\nsecond\n', stderr: 'early-err\n' }, 'each line once, replay then live');

  const replayed = (await container.attach({ stream: false, logs: true, stdout: true, stderr: false })) as NodeJS.ReadableStream;
  assert.deepEqual(await demux(replayed), { stdout: 'first\nsecond\n', stderr: '' });
});

test('attach with logs over a hijacked connection replays too', async (t) => {
  const name = await running(t, ['sh', '-c', 'echo before; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo after']);
  await eventually(async () => (await ok(['logs', name])) === 'before\n', 10_000, 'the first line in the log');
  const attached = (await dockerode()
    .getContainer(name)
    .attach({ hijack: true, stream: true, logs: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
  const attachOutput = demux(attached);
  await ok(['exec', name, 'touch', '/tmp/go']);
  assert.deepEqual(await attachOutput, { stdout: 'before\nafter\n', stderr: '' });
});

test('kill returns once a SIGKILLed container has exited; other signals once delivered; a stopped one is a conflict', async (t) => {
  const killed = await running(t);
  await ok(['kill', killed]);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', killed])).trim(), 'exited 137');
  const again = await d.docker(['kill', killed]);
  assert.equal(again.code, 1, showResult(again));
  assert.match(again.stderr, /is not running/);

  // Back to back in one process (the CLI's start-up alone can outlast the exit's handling): no gap to hide a race.
  const removed = dockerode().getContainer(await running(t));
  await removed.kill({ signal: 'SIGKILL' });
  await removed.remove();

  const trapping = await running(t, ['sh', '-c', 'trap "echo got-usr1" USR1; while true; do sleep 0.1; done']);
  await ok(['kill', '--signal', 'USR1', trapping]);
  await eventually(async () => (await ok(['logs', trapping])).includes('got-usr1'), 10_000, 'the trap to run');
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', trapping])).trim(), 'running');
});

test('kill of a --rm container answers once it has exited and is gone', async (t) => {
  const name = uniqueName('stdio-rm');
  t.after(() => d.docker(['rm', '-f', name]));
  await ok(['run', '-d', '--rm', '--name', name, 'busybox', 'sleep', '600']);
  const container = dockerode().getContainer(name);
  await container.kill();
  // Being removed, or already gone: either way no longer running.
  const after: string = await container.inspect().then(
    (info) => info.State.Status,
    (err: { statusCode?: number }) => `HTTP ${err.statusCode}`,
  );
  assert.ok(['exited', 'removing', 'HTTP 404'].includes(after), `after kill: ${after}`);
  await eventually(async () => (await ok(['ps', '-a', '-q', '--filter', `name=${name}`])).trim() === '', 10_000, 'the removal');
});
