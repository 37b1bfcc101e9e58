/** The real docker CLI (28.2.2) against marinad's Docker socket: run, ps, inspect, lifecycle, logs, attach. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerSleeper, eventually, runProcess, showResult, uniqueName, useDaemon } from './harness.ts';

const d = useDaemon();


const ok = (args: string[], input?: string) => d.dockerOk(args, input === undefined ? {} : { input });

const sleeper = (t: Parameters<typeof dockerSleeper>[1], name: string, extra: string[] = []) => dockerSleeper(d, t, name, extra);

test('run --rm prints the output and exits with the container code', async () => {
  const hi = await d.docker(['run', '--rm', 'busybox', 'echo', 'hi']);
  assert.equal(hi.code, 0, showResult(hi));
  assert.equal(hi.stdout, 'hi\n');
  const three = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo to-err >&2; exit 3']);
  assert.equal(three.code, 3, showResult(three));
  assert.equal(three.stderr, 'to-err\n', 'stderr arrives demultiplexed on the CLI stderr');
  assert.equal((await ok(['ps', '-a', '-q'])).trim(), '', '--rm removed both');
});

test('run -i passes piped stdin through', async () => {
  assert.equal(await ok(['run', '-i', '--rm', 'busybox', 'cat'], 'hi from stdin\n'), 'hi from stdin\n');
});

test('run -d, ps, inspect, stop, start, restart, kill, rm -f', async (t) => {
  const name = uniqueName('life');
  const id = await sleeper(t, name, ['--label', 'app=web']);
  const ps = await ok(['ps']);
  assert.match(ps, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"sleep 600"`));
  assert.match(ps, new RegExp(`Up (Less than a second|\\d+ seconds?)\\s+${name}`));
  assert.match(await ok(['ps', '--format', '{{.Names}} {{.Status}}']), new RegExp(`^${name} Up `, 'm'));
  assert.equal((await ok(['ps', '-q', '--filter', 'label=app=web'])).trim(), id.slice(0, 12));
  assert.equal((await ok(['ps', '-q', '--filter', 'label=app=other'])).trim(), '');
  assert.equal((await ok(['ps', '-q', '--no-trunc', '--filter', `name=${name}`])).trim(), id);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.Config.Image}} {{.Name}}', name])).trim(), `running busybox /${name}`);
  const [inspected] = JSON.parse(await ok(['inspect', name])) as [
    {
      Id: string;
      Config: { Cmd: string[]; Labels: Record<string, string> };
      HostConfig: { NetworkMode: string };
      NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
    },
  ];
  assert.equal(inspected.Id, id);
  assert.deepEqual(inspected.Config.Cmd, ['sleep', '600']);
  assert.deepEqual(inspected.Config.Labels, { app: 'web' });
  assert.equal(inspected.HostConfig.NetworkMode, 'bridge');
  assert.match(inspected.NetworkSettings.Networks.bridge?.IPAddress ?? '', /^\d+\.\d+\.\d+\.\d+$/);

  assert.equal((await ok(['stop', '-t', '1', name])).trim(), name);
  assert.match(await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]), /^exited (137|143)\n$/);
  assert.match(await ok(['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}']), new RegExp(`^${name} Exited \\(\\d+\\) `, 'm'));
  assert.equal((await ok(['ps', '-q', '--filter', 'status=running'])).trim(), '');

  await ok(['start', name]);
  assert.equal((await ok(['inspect', '-f', '{{.State.Running}}', name])).trim(), 'true');
  const firstStart = (await ok(['inspect', '-f', '{{.State.StartedAt}}', name])).trim();
  await ok(['restart', '-t', '1', name]);
  const restarted = (await ok(['inspect', '-f', '{{.State.Running}} {{.State.StartedAt}}', name])).trim();
  assert.match(restarted, /^true /);
  assert.notEqual(restarted.slice(5), firstStart, 'restart started it again');

  await ok(['kill', name]);
  await eventually(
    async () => (await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])) === 'exited 137\n',
    5000,
    'the killed container to exit with 137',
  );
  const killAgain = await d.docker(['kill', name]);
  assert.equal(killAgain.code, 1, showResult(killAgain));
  assert.match(killAgain.stderr, /is not running/);

  await ok(['start', name]);
  const rmRunning = await d.docker(['rm', name]);
  assert.equal(rmRunning.code, 1, showResult(rmRunning));
  assert.match(rmRunning.stderr, /Error response from daemon: .*(Stop the container|force remove)/);
  assert.equal((await ok(['rm', '-f', name])).trim(), name);
  assert.equal((await ok(['ps', '-a', '-q', '--filter', `name=${name}`])).trim(), '');
});

test('logs, logs --tail, logs -t, and logs -f ends when the container stops', async (t) => {
  const name = uniqueName('logs');
  t.after(() => d.docker(['rm', '-f', name]));
  await ok(['run', '--name', name, 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 0.2; echo three']);
  const all = await d.docker(['logs', name]);
  assert.equal(all.stdout, 'one\nthree\n', showResult(all));
  assert.equal(all.stderr, 'two\n');
  assert.equal(await ok(['logs', '--tail', '1', name]), 'three\n');
  assert.match(await ok(['logs', '-t', '--tail', '1', name]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three\n$/);

  const follow = uniqueName('follow');
  t.after(() => d.docker(['rm', '-f', follow]));
  await ok(['run', '-d', '--name', follow, 'busybox', 'sh', '-c', 'echo started; sleep 2; echo done']);
  const started = Date.now();
  const followed = await d.docker(['logs', '-f', follow], { timeoutMs: 20_000 });
  assert.equal(followed.code, 0, showResult(followed));
  assert.equal(followed.stdout, 'started\ndone\n');
  assert.ok(Date.now() - started < 15_000, 'logs -f returned once the container stopped');
});

test('run -p publishes the port and ps shows it', async (t) => {
  const name = uniqueName('port');
  await sleeper(t, name, ['-p', '127.0.0.1:18080:80']);
  assert.match(await ok(['ps', '--format', '{{.Names}} {{.Ports}}']), new RegExp(`^${name} 127\\.0\\.0\\.1:18080->80/tcp$`, 'm'));
  assert.equal((await ok(['inspect', '-f', '{{json .NetworkSettings.Ports}}', name])).trim(), '{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"18080"}]}');
});

test('a name in use gets Docker\'s conflict message and exit code 125', async (t) => {
  const name = uniqueName('dup');
  const id = await sleeper(t, name);
  const r = await d.docker(['run', '-d', '--name', name, 'busybox', 'true']);
  assert.equal(r.code, 125, showResult(r));
  assert.match(
    r.stderr,
    new RegExp(`Error response from daemon: Conflict\\. The container name "/${name}" is already in use by container "${id}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`),
  );
});

test('unknown containers and images get Docker\'s messages', async () => {
  const inspect = await d.docker(['container', 'inspect', 'nosuch']);
  assert.equal(inspect.code, 1, showResult(inspect));
  assert.equal(inspect.stderr.trim(), 'Error response from daemon: No such container: nosuch');
  // Without a type the CLI asks for every kind of object in turn, and says so, as with Docker.
  const anyKind = await d.docker(['inspect', 'nosuch']);
  assert.equal(anyKind.code, 1, showResult(anyKind));
  assert.match(anyKind.stderr, /No such object: nosuch/);
  const rm = await d.docker(['rm', 'nosuch']);
  assert.equal(rm.code, 1, showResult(rm));
  assert.equal(rm.stderr.trim(), 'Error response from daemon: No such container: nosuch');
  // The CLI would pull on this 404; --pull never makes it print the daemon's message instead.
  const image = await d.docker(['run', '--rm', '--pull', 'never', '127.0.0.1:1/nosuch', 'true']);
  assert.equal(image.code, 125, showResult(image));
  assert.match(image.stderr, /No such image: 127\.0\.0\.1:1\/nosuch:latest/);
});

test('run -it gets a terminal (under script(1)) and the exit code', async () => {
  const docker = `DOCKER_HOST=unix://${d.dockerSocket} docker run --rm -it busybox sh`;
  const r = await runProcess('script', ['-qefc', `stty cols 91 rows 17; ${docker}`, '/dev/null'], {
    input: 'tty; stty size; exit 7\n',
    timeoutMs: 30_000,
  });
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
  assert.match(r.stdout, /17 91/);
  assert.equal(r.code, 7, showResult(r));
});

test('wait returns the exit code; container prune removes stopped containers', async (t) => {
  const name = uniqueName('wait');
  t.after(() => d.docker(['rm', '-f', name]));
  await ok(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'sleep 1; exit 5']);
  assert.equal((await ok(['wait', name])).trim(), '5');
  await eventually(async () => (await ok(['ps', '-a', '-q', '--filter', 'exited=5'])).trim() !== '', 5000, 'exited=5 filter');
  assert.match(await ok(['container', 'prune', '-f']), /Deleted Containers:/);
  assert.equal((await ok(['ps', '-a', '-q', '--filter', `name=${name}`])).trim(), '');
});

test('create then start -a, env and workdir, --entrypoint, -a stderr, a TTY container log, a missing command', async (t) => {
  const name = uniqueName('created');
  t.after(() => d.docker(['rm', '-f', name]));
  await ok(['create', '--name', name, 'busybox', 'echo', 'created-then-started']);
  assert.equal(await ok(['start', '-a', name]), 'created-then-started\n');
  assert.equal(await ok(['run', '--rm', '-e', 'A=1', '-w', '/tmp', 'busybox', 'sh', '-c', 'echo $A; pwd']), '1\n/tmp\n');
  assert.equal(await ok(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'hi-ep']), 'hi-ep\n');
  const onlyErr = await d.docker(['run', '--rm', '-a', 'stderr', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
  assert.deepEqual([onlyErr.code, onlyErr.stdout, onlyErr.stderr], [0, '', 'err\n']);

  const tty = uniqueName('tty');
  t.after(() => d.docker(['rm', '-f', tty]));
  await ok(['run', '-d', '-t', '--name', tty, 'busybox', 'sh', '-c', 'echo tty-out; sleep 600']);
  await eventually(async () => (await ok(['logs', tty])) === 'tty-out\r\n', 5000, 'the raw TTY log');

  const missing = await d.docker(['run', '--rm', 'busybox', 'nosuchcmd']);
  assert.equal(missing.code, 127, showResult(missing));
  assert.match(missing.stderr, /executable file not found/);
});

test('ps shows and filters the image’s labels under the container’s own, as Docker copies them at create', async (t) => {
  const tag = `${uniqueName('labelled')}:1`;
  await ok(['build', '-q', '-t', tag, '-'], 'FROM busybox\nLABEL vendor=acme tier=image\n');
  t.after(() => d.docker(['rmi', '-f', tag]));
  const name = uniqueName('labels');
  t.after(() => d.docker(['rm', '-f', name]));
  const id = (await ok(['run', '-d', '--name', name, '--label', 'tier=run', tag, 'sleep', '600'])).trim();
  assert.equal((await ok(['ps', '-q', '--filter', 'label=vendor=acme', '--filter', 'label=tier=run'])).trim(), id.slice(0, 12));
  assert.equal((await ok(['ps', '-q', '--filter', 'label=tier=image'])).trim(), '');
  assert.equal((await ok(['ps', '--filter', `name=${name}`, '--format', '{{.Label "vendor"}} {{.Label "tier"}}'])).trim(), 'acme run');
});
