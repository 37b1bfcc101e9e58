import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import type { OutputFrame } from '../runtime.ts';
import { createArgs, execArgs } from './conmon-args.ts';
import { resizeMessage } from './ctl-fifo.ts';
import { execProcessSpec } from './exec-spec.ts';
import { FrameDecoder } from './frames.ts';
import { checkSignal } from './runc.ts';
import { parseSyncMessages, startFailure } from './sync-pipe.ts';

const paths = { conmonPath: '/usr/bin/conmon', runcPath: '/usr/sbin/runc', runcRoot: '/r/runc' };

test('sync messages: pid, failure with message, exec exit code', () => {
  assert.deepEqual(parseSyncMessages('{"data": 42}\n{"data": 5}\n'), [{ data: 42 }, { data: 5 }]);
  assert.deepEqual(parseSyncMessages('{"data": -1, "message": "boom"}\n'), [{ data: -1, message: 'boom' }]);
  assert.throws(() => parseSyncMessages('{"pid": 1}\n'), (err: unknown) => isMarinaError(err, 'Internal'));
});

test('runc exec failures map to Invalid with Docker’s exit codes', () => {
  const notFound = startFailure(
    'time="2026-11-23T07:59:04Z" level=error msg="runc create failed: unable to start container process: exec: \\"nonexist\\": executable file not found in $PATH"\n',
  );
  assert.equal(notFound.code, 'Invalid');
  assert.equal(notFound.details?.exitCode, 127);
  assert.match(notFound.message, /"nonexist": executable file not found/);
  const denied = startFailure('level=error msg="exec failed: unable to start container process: exec: \\"/etc/passwd\\": permission denied"');
  assert.equal(denied.details?.exitCode, 126);
  assert.equal(startFailure('level=error msg="cgroup trouble"').code, 'Internal');
});

test('frame decoder splits frames across chunks and reports the connected marker', async () => {
  const decoder = new FrameDecoder();
  const frames: OutputFrame[] = [];
  let connected = false;
  decoder.on('connected', () => {
    connected = true;
  });
  decoder.on('data', (f: OutputFrame) => frames.push(f));
  const bytes = Buffer.concat([
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 3]),
    Buffer.from('abc'),
    Buffer.from([2, 0, 0, 0, 0, 0, 0, 2]),
    Buffer.from('de'),
  ]);
  decoder.write(bytes.subarray(0, 5));
  decoder.write(bytes.subarray(5, 17));
  decoder.end(bytes.subarray(17));
  await new Promise((r) => decoder.on('end', r));
  assert.equal(connected, true);
  assert.deepEqual(frames, [
    { stream: 'stdout', data: Buffer.from('abc') },
    { stream: 'stderr', data: Buffer.from('de') },
  ]);
});

test('conmon command lines carry the protocol options', () => {
  const args = createArgs(paths, { id: 'c1', bundleDir: '/b', exitDir: '/x', logPath: '/b/ctr.log', logSizeMax: 100, tty: true, openStdin: false });
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(after('--persist-dir'), '/b/persist');
  assert.equal(after('--exit-dir'), '/x');
  assert.equal(after('-l'), 'k8s-file:/b/ctr.log');
  assert.equal(after('--runtime-arg'), '--root=/r/runc');
  assert.ok(args.includes('-t') && !args.includes('-i') && args.includes('--full-attach'));
  const stdin = { id: 'c1', bundleDir: '/b', exitDir: '/x', logPath: '/b/ctr.log', logSizeMax: 100, tty: false, openStdin: true };
  assert.ok(createArgs(paths, { ...stdin, leaveStdinOpen: true }).includes('--leave-stdin-open'));
  assert.ok(!createArgs(paths, stdin).includes('--leave-stdin-open'), 'StdinOnce: the first client to leave closes stdin');
  assert.ok(!createArgs(paths, { ...stdin, openStdin: false, leaveStdinOpen: true }).includes('--leave-stdin-open'));
  const exec = execArgs(paths, { containerId: 'c1', execId: 'e1', dir: '/b/exec/e1', processSpecPath: '/b/exec/e1/process.json', tty: false, openStdin: true });
  assert.ok(exec.includes('-e') && exec.includes('--exec-attach') && exec.includes('-i'));
  assert.equal(exec[exec.indexOf('-u') + 1], 'e1');
});

test('exec process spec: container defaults, exec overrides, env merged', () => {
  const base = {
    terminal: false,
    user: { uid: 1, gid: 1 },
    args: ['sleep'],
    env: ['PATH=/bin', 'A=1'],
    cwd: '/app',
    capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
    noNewPrivileges: true,
  };
  const spec = execProcessSpec(base, { execId: 'e', args: ['sh'], env: ['A=2', 'B=3'], tty: true, openStdin: true, consoleSize: { height: 2, width: 3 } });
  assert.deepEqual(spec.env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(spec.args, ['sh']);
  assert.equal(spec.cwd, '/app');
  assert.equal(spec.terminal, true);
  assert.deepEqual(spec.consoleSize, { height: 2, width: 3 });
  assert.equal(spec.noNewPrivileges, true);
  assert.ok(execProcessSpec(base, { execId: 'e', args: ['sh'], tty: false, openStdin: false, privileged: true }).capabilities.bounding.includes('CAP_SYS_ADMIN'));
});

test('signals and terminal sizes are validated', () => {
  assert.equal(checkSignal('sigterm'), 'SIGTERM');
  assert.equal(checkSignal('9'), '9');
  assert.throws(() => checkSignal('--all'), (err: unknown) => isMarinaError(err, 'Invalid'));
  assert.equal(resizeMessage({ height: 40, width: 120 }), '1 40 120\n');
  assert.throws(() => resizeMessage({ height: 0, width: 1 }), (err: unknown) => isMarinaError(err, 'Invalid'));
});
