import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isMarinaError } from './errors.ts';
import { runCommandVia } from './run-command.ts';
import { decodeResponse, encodeRequest, ResponseReader, SpawnHelper } from './spawn-helper.ts';

const source = fileURLToPath(new URL('./runtime/spawn/marina-spawn.c', import.meta.url));
let dir = '';
let helper: SpawnHelper;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'marina-spawn-test-'));
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', join(dir, 'marina-spawn'), source]);
  helper = new SpawnHelper(join(dir, 'marina-spawn'));
});

after(() => {
  helper.close();
  rmSync(dir, { recursive: true, force: true });
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The children a process has not reaped yet (running or zombie). */
const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();

// The contract runCommand keeps whichever way it runs a tool: through the helper or through execFile.
for (const via of ['marina-spawn', 'execFile'] as const) {
  const run = (command: string, args: string[], options = {}) =>
    runCommandVia(via === 'execFile' ? null : helper, command, args, options);

  describe(`runCommand through ${via}`, () => {
    test('resolves exit code, stdout and stderr', async () => {
      assert.deepEqual(await run('sh', ['-c', 'echo out; echo err >&2; exit 3']), {
        code: 3,
        stdout: 'out\n',
        stderr: 'err\n',
      });
      assert.deepEqual(await run('true', []), { code: 0, stdout: '', stderr: '' });
    });

    test('writes the input to stdin, and a command that ignores it still gets its exit code', async () => {
      assert.equal((await run('cat', [], { input: 'línea 1\nline 2\n' })).stdout, 'línea 1\nline 2\n');
      const big = 'x'.repeat(1024 * 1024);
      assert.deepEqual(await run('sh', ['-c', 'exit 4'], { input: big }), {
        code: 4,
        stdout: '',
        stderr: '',
      });
    });

    test('a tool that is not installed rejects Unavailable with its package', async () => {
      await assert.rejects(
        run('iptables-restore-missing', []),
        (err) => isMarinaError(err, 'Unavailable') && /apt-get install/.test(err.message),
      );
      await assert.rejects(
        run('nsenter', [], { env: { PATH: dir } }),
        (err) => isMarinaError(err, 'Unavailable') && /util-linux/.test(err.message),
      );
    });

    test('a command killed by a signal resolves exit code 1', async () => {
      assert.equal((await run('sh', ['-c', 'echo before; kill -KILL $$'])).code, 1);
    });

    test('honours cwd and env (PATH included)', async () => {
      assert.equal((await run('pwd', [], { cwd: dir })).stdout, `${dir}\n`);
      const env = { PATH: '/usr/bin:/bin', MARINA_TEST: 'a b=c' };
      assert.equal(
        (await run('sh', ['-c', 'echo "$MARINA_TEST"; env | wc -l'], { env })).stdout,
        'a b=c\n3\n',
      );
    });

    test('the command starts with default signal handling', async () => {
      const status = await run('grep', ['-E', '^Sig(Ign|Blk):', '/proc/self/status']);
      assert.deepEqual(status.stdout.split('\n').filter(Boolean), [
        'SigBlk:\t0000000000000000',
        'SigIgn:\t0000000000000000',
      ]);
    });
  });
}

describe('marina-spawn', () => {
  test('returns several MiB of output whole', async () => {
    const bytes = 12 * 1024 * 1024 + 7;
    const result = await runCommandVia(
      helper,
      'sh',
      ['-c', `head -c ${bytes} /dev/zero | tr '\\0' a; head -c 3000000 /dev/zero >&2`],
      {},
    );
    assert.equal(result.code, 0);
    assert.equal(result.stdout.length, bytes);
    assert.match(result.stdout, /^a+$/);
    assert.equal(result.stderr.length, 3000000);
  });

  test('output over 64 MiB kills the command and fails it, saying why', async () => {
    const result = await runCommandVia(helper, 'cat', ['/dev/zero'], {});
    assert.equal(result.code, 1);
    assert.equal(result.stdout.length, 64 * 1024 * 1024);
    assert.match(result.stderr, /output of cat went over 64 MiB; it was killed/);
  });

  test('runs 200 commands at once, each answered with its own output, and reaps them all', async () => {
    const runs = Array.from({ length: 200 }, (_, i) =>
      runCommandVia(helper, 'sh', ['-c', `echo $$ ${i}; sleep 0.0${i % 10}`], {}),
    );
    const results = await Promise.all(runs);
    results.forEach((result, i) => {
      assert.equal(result.code, 0);
      assert.equal(result.stdout.split(' ')[1], `${i}\n`);
    });
    assert.equal(new Set(results.map((r) => r.stdout.split(' ')[0])).size, 200);
    assert.equal(childrenOf(helper.pid ?? 0), '');
  });

  test('a command inherits no descriptor beside its stdio, not even the pipes of commands running beside it', async () => {
    const beside = runCommandVia(helper, 'sh', ['-c', 'sleep 0.2; cat'], { input: 'x' });
    // ls lists its own directory descriptor (3) beside 0–2; anything else leaked in.
    const fds = (await runCommandVia(helper, 'ls', ['/proc/self/fd'], {})).stdout.split('\n').filter(Boolean);
    assert.deepEqual(fds, ['0', '1', '2', '3']);
    assert.equal((await beside).stdout, 'x');
  });

  test('a missing working directory is a failure to start, not a missing tool', async () => {
    const result = await runCommandVia(helper, 'true', [], { cwd: join(dir, 'nowhere') });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot change directory for true in .*nowhere: No such file or directory/);
  });

  test('a killed helper fails the commands in flight, naming itself, and the next command starts a new one', async () => {
    await runCommandVia(helper, 'true', [], {});
    const first = helper.pid ?? 0;
    const inFlight = [runCommandVia(helper, 'sleep', ['5'], {}), runCommandVia(helper, 'sleep', ['5'], {})];
    while (childrenOf(first).split(' ').filter(Boolean).length < 2) await sleep(10);
    const orphans = childrenOf(first).split(' ').map(Number);
    process.kill(first, 'SIGKILL');
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    for (const run of inFlight) {
      await assert.rejects(
        run,
        (err) =>
          isMarinaError(err, 'Internal') &&
          err.message.includes(`marina-spawn (pid ${first}) was killed by SIGKILL while running sleep`),
      );
    }
    assert.deepEqual(await runCommandVia(helper, 'echo', ['again'], {}), {
      code: 0,
      stdout: 'again\n',
      stderr: '',
    });
    assert.notEqual(helper.pid, first);
  });

  test('when its stdin closes it lets running commands finish, answers them, then exits', async () => {
    const own = new SpawnHelper(join(dir, 'marina-spawn'));
    const marker = join(dir, 'finished');
    const running = runCommandVia(own, 'sh', ['-c', `sleep 0.3; echo done > ${marker}; echo ok`], {});
    await runCommandVia(own, 'true', [], {});
    const pid = own.pid ?? 0;
    own.close();
    assert.deepEqual(await running, { code: 0, stdout: 'ok\n', stderr: '' });
    assert.equal(readFileSync(marker, 'utf8'), 'done\n');
    while (isAlive(pid)) await sleep(10);
  });
});

describe('framing', () => {
  test('a response split at every byte is reassembled', () => {
    const body = Buffer.alloc(20 + 3 + 2);
    for (const [i, v] of [7, 1, 9, 3, 2].entries()) body.writeUInt32LE(v, i * 4);
    body.write('outer', 20);
    const frame = Buffer.concat([Buffer.from([body.length, 0, 0, 0]), body]);
    const reader = new ResponseReader();
    const twice = Buffer.concat([frame, frame]);
    const frames = [...twice].flatMap((byte) => reader.push(Buffer.from([byte])));
    assert.equal(frames.length, 2);
    for (const f of frames) {
      const { id, outcome } = decodeResponse(f);
      assert.equal(id, 7);
      assert.equal(outcome.kind, 'signaled');
      assert.equal(outcome.value, 9);
      assert.equal(outcome.stdout.toString(), 'out');
      assert.equal(outcome.stderr.toString(), 'er');
    }
  });

  test('a request carries its strings NUL-terminated and refuses a NUL inside one', () => {
    const frame = encodeRequest(5, {
      command: 'ip',
      args: ['link'],
      env: { A: '1', B: undefined },
      cwd: '/',
      input: 'in',
    });
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((i) => frame.readUInt32LE(i * 4)),
      [frame.length - 4, 5, 2, 1, 1, 2],
    );
    assert.equal(frame.subarray(24).toString(), 'ip\0link\0A=1\0/\0in');
    assert.throws(
      () => encodeRequest(1, { command: 'ip', args: ['a\0b'], env: {} }),
      (err) => isMarinaError(err, 'Invalid'),
    );
  });
});
