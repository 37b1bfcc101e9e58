/** The real docker CLI (28.2.2) against marinad: exec (plain, exit code, -i, -it), top, stats, port, rename, cp. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dockerSleeper, runProcess, showResult, uniqueName, useDaemon } from './harness.ts';

const d = useDaemon();


const ok = (args: string[], input?: string) => d.dockerOk(args, input === undefined ? {} : { input });

const sleeper = (t: Parameters<typeof dockerSleeper>[1], name: string, extra: string[] = []) => dockerSleeper(d, t, name, extra);

async function tempDir(t: { after: (fn: () => Promise<unknown>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'marina-docker-extras-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('exec: output, exit code, piped stdin, env and working directory', async (t) => {
  const name = uniqueName('exec');
  await sleeper(t, name);
  assert.equal(await ok(['exec', name, 'echo', 'hi']), 'hi\n');
  const four = await d.docker(['exec', name, 'sh', '-c', 'echo oops >&2; exit 4']);
  assert.equal(four.code, 4, showResult(four));
  assert.equal(four.stderr, 'oops\n');
  assert.equal(await ok(['exec', '-i', name, 'sh', '-c', 'cat; echo done'], 'from stdin\n'), 'from stdin\ndone\n');
  assert.equal(await ok(['exec', '-e', 'GREETING=hello', '-w', '/etc', name, 'sh', '-c', 'echo $GREETING $(pwd)']), 'hello /etc\n');
  const missing = await d.docker(['exec', 'no-such-ctr', 'true']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such container: no-such-ctr/);
});

test('exec -it runs in a terminal of the caller size', async (t) => {
  const name = uniqueName('exectty');
  await sleeper(t, name);
  const config = await tempDir(t);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = `stty cols 91 rows 17; ${['docker', 'exec', '-it', name, 'sh'].map(quote).join(' ')}`;
  const r = await runProcess('script', ['-qefc', command, '/dev/null'], {
    input: 'tty; stty size; exit 5\n',
    env: { DOCKER_HOST: `unix://${d.dockerSocket}`, DOCKER_CONFIG: config },
    timeoutMs: 30_000,
  });
  assert.match(r.stdout, /\/dev\/pts\/\d+/, showResult(r));
  assert.match(r.stdout, /17 91/, showResult(r));
  assert.equal(r.code, 5, showResult(r));
});

test('top lists the container processes with docker\'s columns', async (t) => {
  const name = uniqueName('top');
  await sleeper(t, name);
  const out = await ok(['top', name]);
  const [header, ...rows] = out.trim().split('\n');
  assert.deepEqual(header!.trim().split(/\s+/), ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.equal(rows.length, 1, out);
  assert.match(rows[0]!, /sleep 600$/);
  assert.match(await ok(['top', name, '-eo', 'pid,comm']), /PID\s+COMMAND\n\s*\d+\s+sleep/);
  const bad = await d.docker(['top', name, '--no-such-option']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Error response from daemon: ps --no-such-option failed/);
  const stopped = uniqueName('topstopped');
  t.after(() => d.docker(['rm', '-f', stopped]));
  await ok(['create', '--name', stopped, 'busybox', 'true']);
  const r = await d.docker(['top', stopped]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is not running/);
});

test('stats --no-stream prints a row with the name and memory', async (t) => {
  const name = uniqueName('stats');
  await sleeper(t, name);
  const out = await ok(['stats', '--no-stream', name]);
  const [header, row] = out.trim().split('\n');
  assert.match(header!, /CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS/);
  assert.match(row!, new RegExp(`^[0-9a-f]{12}\\s+${name}\\s+\\d+\\.\\d+%\\s+\\d+(\\.\\d+)?[KMG]?i?B / \\d+(\\.\\d+)?[KMG]iB`));
  assert.match(row!, /\s1\s*$/, 'one process');
  const formatted = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', name]);
  assert.match(formatted, new RegExp(`^${name} \\d`));
});

test('port shows the published ports', async (t) => {
  const name = uniqueName('port');
  await sleeper(t, name, ['-p', '127.0.0.1::80']);
  const out = await ok(['port', name]);
  assert.match(out, /^80\/tcp -> 127\.0\.0\.1:\d+\n$/);
  assert.match(await ok(['port', name, '80']), /^127\.0\.0\.1:\d+\n$/);
});

test('rename: ps shows the new name; a taken name is a conflict', async (t) => {
  const name = uniqueName('before');
  const renamed = uniqueName('after');
  const other = uniqueName('other');
  const id = await sleeper(t, name);
  t.after(() => d.docker(['rm', '-f', renamed]));
  await sleeper(t, other);
  await ok(['rename', name, renamed]);
  assert.match(await ok(['ps', '--filter', `id=${id}`, '--format', '{{.Names}}']), new RegExp(`^${renamed}\n$`));
  assert.equal(await ok(['exec', renamed, 'echo', 'still here']), 'still here\n');
  const taken = await d.docker(['rename', renamed, other]);
  assert.equal(taken.code, 1, showResult(taken));
  assert.match(taken.stderr, new RegExp(`Conflict. The container name "/${other}" is already in use by container`));
  const gone = await d.docker(['rename', name, 'whatever']);
  assert.match(gone.stderr, new RegExp(`No such container: ${name}`));
  // The same engine behaviour through marina's own CLI.
  const third = uniqueName('third');
  t.after(() => d.docker(['rm', '-f', third]));
  await d.ok(['rename', renamed, third]);
  assert.match(await d.ok(['top', third]), /PID[\s\S]*sleep 600/);
});

test('cp out of and into a container, running or stopped', async (t) => {
  const name = uniqueName('cp');
  const id = await sleeper(t, name);
  const dir = await tempDir(t);

  // Out to stdout: a tar holding the file; /etc/hostname is the container's own (a bind mount).
  const out = await d.docker(['cp', `${name}:/etc/hostname`, '-']);
  assert.equal(out.code, 0, showResult(out));
  assert.match(out.stdout, /hostname/);
  assert.ok(out.stdout.includes(id.slice(0, 12)), 'the hostname file holds the short id');

  // Out to a file.
  await ok(['cp', `${name}:/etc/passwd`, join(dir, 'passwd')]);
  assert.match(await readFile(join(dir, 'passwd'), 'utf8'), /^root:/);

  // In, then read back with exec.
  await writeFile(join(dir, 'note.txt'), 'hello from the host\n');
  await ok(['cp', join(dir, 'note.txt'), `${name}:/tmp/`]);
  assert.equal(await ok(['exec', name, 'cat', '/tmp/note.txt']), 'hello from the host\n');
  assert.equal(await ok(['exec', name, 'stat', '-c', '%u:%g', '/tmp/note.txt']), '0:0\n', 'owned by the container root');

  // Into a stopped container, then out of it again.
  await ok(['stop', '-t', '0', name]);
  await ok(['cp', join(dir, 'note.txt'), `${name}:/root/copied.txt`]);
  await ok(['cp', `${name}:/root/copied.txt`, join(dir, 'back.txt')]);
  assert.equal(await readFile(join(dir, 'back.txt'), 'utf8'), 'hello from the host\n');

  const missing = await d.docker(['cp', `${name}:/no/such/file`, join(dir, 'x')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Could not find the file \/no\/such\/file in container/);
});
