/**
 * System test of ConmonRuntime: real conmon, runc and cgroups, as root, on a busybox rootfs in a temp
 * root. Everything (containers, conmon processes, cgroups, files) is removed in `after`, also on failure.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { isMarinaError } from '../src/errors.ts';
import { readCgroupStats, wasOomKilled } from '../src/runtime/cgroups.ts';
import { ConmonRuntime } from '../src/runtime/conmon/conmon-runtime.ts';
import type { OutputFrame } from '../src/runtime/runtime.ts';
import { buildSpec } from '../src/runtime/spec.ts';
import type { SpecInput } from '../src/runtime/spec-input.ts';
import { cleanupRoot } from './harness.ts';

const root = mkdtempSync(join(tmpdir(), 'marina-runtime-'));
const rootfs = join(root, 'rootfs');
const cgroupParent = `/marina-rt-${randomBytes(4).toString('hex')}`;
const helperPath = join(root, 'marina-attach');
let runtime: ConmonRuntime;

before(() => {
  for (const dir of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, dir), { recursive: true });
  copyFileSync('/usr/bin/busybox', join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'sleep', 'seq', 'readlink', 'grep', 'touch', 'stty', 'tty']) {
    symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', helperPath, join(import.meta.dirname, '../src/runtime/conmon/marina-attach.c')]);
  runtime = new ConmonRuntime({
    root: join(root, 'runc'),
    exitDir: join(root, 'exits'),
    runcPath: 'runc',
    conmonPath: 'conmon',
    attachHelperPath: helperPath,
  });
});

after(async () => {
  await runtime?.close();
  cleanupRoot(root);
  for (const controller of ['memory', 'pids', 'cpu', 'cpuacct', 'blkio', 'cpuset', 'devices', 'freezer', 'systemd', 'unified', 'net_cls', 'perf_event', 'hugetlb', 'rdma', 'misc']) {
    try {
      execFileSync('rmdir', [join('/sys/fs/cgroup', controller, cgroupParent)], { stdio: 'ignore' });
    } catch {
      // not every controller is mounted, or runc never created the parent there
    }
  }
});

interface Run {
  id: string;
  bundleDir: string;
  cgroupsPath: string;
}

async function create(
  t: { after(fn: () => unknown): void },
  args: string[],
  overrides: Partial<SpecInput> & { openStdin?: boolean; leaveStdinOpen?: boolean } = {},
): Promise<Run & { pid: number }> {
  const id = `c${randomBytes(6).toString('hex')}`;
  const bundleDir = join(root, 'containers', id);
  mkdirSync(bundleDir, { recursive: true });
  const cgroupsPath = `${cgroupParent}/${id}`;
  t.after(async () => {
    await runtime.kill(id, 'KILL', { all: true }).catch(() => {});
    await runtime.delete(id, { force: true }).catch(() => {});
  });
  const { openStdin = false, leaveStdinOpen, ...specOverrides } = overrides;
  const spec = buildSpec({
    rootfs,
    readOnlyRootfs: false,
    args,
    env: ['PATH=/bin'],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: id.slice(0, 12),
    tty: false,
    mounts: [],
    resources: {},
    capAdd: [],
    capDrop: [],
    privileged: false,
    noNewPrivileges: false,
    seccomp: 'default',
    cgroupsPath,
    network: { mode: 'private' },
    ...specOverrides,
  });
  const { pid } = await runtime.create({
    id,
    bundleDir,
    spec,
    tty: spec.process.terminal,
    openStdin,
    leaveStdinOpen,
    logPath: join(bundleDir, 'ctr.log'),
    logSizeMax: 1024 * 1024,
  });
  return { id, bundleDir, cgroupsPath, pid };
}

function collect(output: Readable): Promise<{ stdout: string; stderr: string; frames: OutputFrame[] }> {
  const frames: OutputFrame[] = [];
  return new Promise((resolve, reject) => {
    output.on('data', (frame: OutputFrame) => frames.push(frame));
    output.on('error', reject);
    output.on('end', () => {
      const text = (stream: string) => Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.data)).toString();
      resolve({ stdout: text('stdout'), stderr: text('stderr'), frames });
    });
  });
}

/** Resolves once the output so far matches `pattern` (listens beside `collect`). */
function outputMatches(output: Readable, pattern: RegExp): Promise<void> {
  let text = '';
  return new Promise((resolve) => {
    const onData = (frame: OutputFrame) => {
      text += frame.data.toString();
      if (!pattern.test(text)) return;
      output.off('data', onData);
      resolve();
    };
    output.on('data', onData);
  });
}

/** Resolves with the exit code, from the onExit notification (or at once if it already exited). */
function exited(id: string): Promise<number> {
  return new Promise((resolve) => {
    const stop = runtime.onExit((exitedId) => {
      if (exitedId !== id) return;
      stop();
      void runtime.exitCode(id).then((code) => resolve(code ?? -1));
    });
    void runtime.exitCode(id).then((code) => {
      if (code !== undefined) {
        stop();
        resolve(code);
      }
    });
  });
}

async function runToExit(t: { after(fn: () => unknown): void }, args: string[], overrides: Partial<SpecInput> = {}) {
  const run = await create(t, args, overrides);
  const session = await runtime.attach(run.id, { stdin: false });
  const output = collect(session.output);
  const code = exited(run.id);
  await runtime.start(run.id);
  return { ...run, ...(await output), code: await code };
}

test('create, attach, start: output frames arrive in order, the exit code is recorded and reported', { timeout: 30_000 }, async (t) => {
  const run = await create(t, ['sh', '-c', 'echo out; echo err >&2; echo more; exit 3']);
  assert.equal((await runtime.state(run.id))?.status, 'created');
  const session = await runtime.attach(run.id, { stdin: false });
  const output = collect(session.output);
  let notified = false;
  const stop = runtime.onExit((id) => {
    if (id === run.id) notified = true;
  });
  t.after(stop);
  const code = exited(run.id);
  await runtime.start(run.id);
  const { stdout, stderr } = await output;
  assert.equal(stdout, 'out\nmore\n');
  assert.equal(stderr, 'err\n');
  assert.equal(await code, 3);
  assert.equal(notified, true);
  assert.equal(readFileSync(join(root, 'exits', run.id), 'utf8').trim(), '3');
  // stdout and stderr are separate pipes: order holds within a stream only.
  const log = readFileSync(join(run.bundleDir, 'ctr.log'), 'utf8');
  assert.match(log, /stdout F out\n.*stdout F more\n/s);
  assert.match(log, /stderr F err\n/);
  assert.equal((await runtime.state(run.id))?.status, 'stopped');
  assert.ok((await runtime.list()).includes(run.id));
  await runtime.delete(run.id);
  assert.equal(await runtime.state(run.id), undefined);
});

test('a command that does not exist is Invalid with exit code 127; a non-executable one 126', { timeout: 30_000 }, async (t) => {
  await assert.rejects(create(t, ['no-such-command']), (err: unknown) => isMarinaError(err, 'Invalid') && err.details?.exitCode === 127);
  await assert.rejects(create(t, ['/etc/passwd']), (err: unknown) => isMarinaError(err, 'Invalid') && err.details?.exitCode === 126);
});

test('SIGKILL gives 137', { timeout: 30_000 }, async (t) => {
  const run = await create(t, ['sleep', '100']);
  const code = exited(run.id);
  await runtime.start(run.id);
  assert.equal((await runtime.state(run.id))?.status, 'running');
  await runtime.kill(run.id, 'SIGKILL');
  assert.equal(await code, 137);
});

test('memory limit: the OOM killer ends the container with 137 and the cgroup says so', { timeout: 60_000 }, async (t) => {
  const run = await create(t, ['sh', '-c', 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done'], { resources: { memoryBytes: 8 * 1024 * 1024 } });
  const stats = await readCgroupStats(run.cgroupsPath);
  assert.equal(stats.memory.limitBytes, 8 * 1024 * 1024);
  const code = exited(run.id);
  await runtime.start(run.id);
  assert.equal(await code, 137);
  assert.equal(await wasOomKilled(run.cgroupsPath), true);
  assert.ok(existsSync(join(run.bundleDir, 'oom')), 'conmon marks the OOM kill in the bundle, not in our cwd');
});

test('pids limit stops a fork bomb', { timeout: 60_000 }, async (t) => {
  const result = await runToExit(t, ['sh', '-c', 'for i in $(seq 50); do sleep 30 & done; echo done'], { resources: { pidsLimit: 10 } });
  assert.match(result.stderr, /can't fork|Resource temporarily unavailable/);
});

test('exec: output and exit code; a missing command is Invalid with 127; stdin reaches the process', { timeout: 60_000 }, async (t) => {
  const run = await create(t, ['sleep', '100']);
  await runtime.start(run.id);
  const exec = await runtime.exec(run.id, run.bundleDir, { execId: 'e1', args: ['sh', '-c', 'echo from-exec; echo oops >&2; exit 5'], tty: false, openStdin: false });
  const output = await collect(exec.stdio.output);
  assert.equal(await exec.wait(), 5);
  assert.equal(existsSync(join(run.bundleDir, 'exec', 'e1')), false, 'a finished exec leaves no files');
  assert.equal(output.stdout, 'from-exec\n');
  assert.equal(output.stderr, 'oops\n');
  await assert.rejects(
    runtime.exec(run.id, run.bundleDir, { execId: 'e2', args: ['nope'], tty: false, openStdin: false }),
    (err: unknown) => isMarinaError(err, 'Invalid') && err.details?.exitCode === 127,
  );
  const cat = await runtime.exec(run.id, run.bundleDir, { execId: 'e3', args: ['cat'], tty: false, openStdin: true });
  const catOutput = collect(cat.stdio.output);
  cat.stdio.input?.end('through stdin\n');
  assert.equal((await catOutput).stdout, 'through stdin\n');
  assert.equal(await cat.wait(), 0);
});

test('tty exec gets raw terminal output and follows resize', { timeout: 60_000 }, async (t) => {
  const run = await create(t, ['sleep', '100']);
  await runtime.start(run.id);
  const exec = await runtime.exec(run.id, run.bundleDir, {
    execId: 't1',
    args: ['sh', '-c', 'stty size; read line; stty size'],
    tty: true,
    openStdin: true,
    consoleSize: { height: 30, width: 100 },
  });
  const output = collect(exec.stdio.output);
  await outputMatches(exec.stdio.output, /30 100/);
  await exec.resize({ height: 50, width: 120 });
  exec.stdio.input?.write('\n');
  const { stdout } = await output;
  assert.equal(await exec.wait(), 0);
  assert.match(stdout, /30 100\r\n/);
  assert.match(stdout, /50 120\r\n/);
});

test('tty container: raw output with CRLF, console size applied, resize through the ctl fifo', { timeout: 60_000 }, async (t) => {
  const run = await create(t, ['sh', '-c', 'stty size; read line; stty size'], { tty: true, consoleSize: { height: 40, width: 90 }, openStdin: true });
  const session = await runtime.attach(run.id, { stdin: true });
  const output = collect(session.output);
  const code = exited(run.id);
  // Listening before start: the first size can be printed while start is still returning.
  const sizeShown = outputMatches(session.output, /40 90/);
  await runtime.start(run.id);
  await sizeShown;
  await runtime.resize(run.id, { height: 60, width: 200 });
  session.input?.write('\n');
  const { stdout, stderr } = await output;
  assert.equal(stderr, '');
  assert.match(stdout, /40 90\r\n/);
  assert.match(stdout, /60 200\r\n/);
  assert.equal(await code, 0);
});

test('stdin: EOF from the attached client closes the container’s stdin', { timeout: 30_000 }, async (t) => {
  const run = await create(t, ['cat'], { openStdin: true });
  const session = await runtime.attach(run.id, { stdin: true });
  const output = collect(session.output);
  const code = exited(run.id);
  await runtime.start(run.id);
  session.input?.end('hello\n');
  assert.equal((await output).stdout, 'hello\n');
  assert.equal(await code, 0);
});

test('stdin left open: a second client still reaches the process after the first one left', { timeout: 30_000 }, async (t) => {
  const run = await create(t, ['cat'], { openStdin: true, leaveStdinOpen: true });
  const first = await runtime.attach(run.id, { stdin: true });
  const output = collect(first.output);
  await runtime.start(run.id);
  first.input?.write('one\n');
  await outputMatches(first.output, /one/);
  first.close();
  const second = await runtime.attach(run.id, { stdin: true });
  const secondOutput = collect(second.output);
  second.input?.end('two\n');
  await outputMatches(second.output, /two/);
  await runtime.kill(run.id, 'KILL');
  assert.match((await secondOutput).stdout, /two/);
  assert.match((await output).stdout, /one/);
});

test('isolation: own namespaces, Docker’s default capabilities, seccomp filter on', { timeout: 30_000 }, async (t) => {
  const kinds = ['pid', 'net', 'mnt', 'uts', 'ipc'];
  const result = await runToExit(t, ['sh', '-c', `for k in ${kinds.join(' ')}; do readlink /proc/self/ns/$k; done; grep -E '^(CapEff|Seccomp):' /proc/self/status`]);
  assert.equal(result.code, 0);
  const lines = result.stdout.trim().split('\n');
  kinds.forEach((kind, i) => {
    assert.match(lines[i] ?? '', new RegExp(`^${kind}:\\[\\d+\\]$`));
    assert.notEqual(lines[i], readlinkSync(`/proc/self/ns/${kind}`), kind);
  });
  assert.ok(lines.includes('CapEff:\t00000000a80425fb'), result.stdout);
  assert.ok(lines.includes('Seccomp:\t2'), result.stdout);
});

test('read-only rootfs refuses writes', { timeout: 30_000 }, async (t) => {
  const result = await runToExit(t, ['touch', '/newfile'], { readOnlyRootfs: true });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /Read-only file system/);
});
