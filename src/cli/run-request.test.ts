import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCreateRequest, type CreateFlags, envFileEntries } from './run-request.ts';

const none: CreateFlags = {
  env: [],
  envFile: [],
  volume: [],
  tmpfs: [],
  capAdd: [],
  capDrop: [],
  securityOpt: [],
  label: [],
  networkAlias: [],
  publish: [],
  addHost: [],
  dns: [],
};
const ctx = { callerEnv: { HOME: '/root' }, hostCpus: 2, envFiles: [] };

test('a bare run asks only for the image and command', () => {
  assert.deepEqual(buildCreateRequest('busybox', ['echo', 'hi'], none, ctx), {
    image: 'busybox',
    cmd: ['echo', 'hi'],
  });
});

test('maps docker flags onto the request', () => {
  const request = buildCreateRequest(
    'busybox',
    [],
    {
      ...none,
      rm: true,
      interactive: true,
      tty: true,
      env: ['A=1', 'HOME', 'UNSET'],
      name: 'web',
      entrypoint: '',
      volume: ['/srv:/data:ro', 'cache:/cache'],
      tmpfs: ['/tmp:size=1m'],
      memory: '64m',
      cpus: '0.5',
      pidsLimit: '100',
      network: 'host',
      securityOpt: ['no-new-privileges', 'seccomp=unconfined'],
      stopTimeout: '3',
      label: ['a=b'],
    },
    { ...ctx, consoleSize: { height: 40, width: 120 } },
  );
  assert.deepEqual(request, {
    image: 'busybox',
    name: 'web',
    entrypoint: [],
    env: ['A=1', 'HOME=/root'],
    tty: true,
    openStdin: true,
    stdinOnce: true,
    labels: { a: 'b' },
    mounts: [
      { type: 'bind', source: '/srv', target: '/data', readOnly: true },
      { type: 'volume', name: 'cache', target: '/cache', readOnly: false },
      { type: 'tmpfs', target: '/tmp', sizeBytes: 1024 * 1024 },
    ],
    resources: { memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 100 },
    autoRemove: true,
    stopTimeout: 3,
    networkMode: 'host',
    securityOpt: { noNewPrivileges: true, seccomp: 'unconfined' },
    consoleSize: { height: 40, width: 120 },
  });
});

test('env files come first, with comments and blank lines skipped', () => {
  assert.deepEqual(envFileEntries('# c\nA=1\n\nB=2\r\n'), ['A=1', 'B=2']);
  assert.deepEqual(
    buildCreateRequest('busybox', [], { ...none, env: ['A=3'] }, { ...ctx, envFiles: ['A=1\n'] }).env,
    ['A=1', 'A=3'],
  );
});

test('refuses bad values naming the flag, before anything is sent', () => {
  assert.throws(
    () => buildCreateRequest('busybox', [], { ...none, memory: 'lots' }, ctx),
    /invalid memory value "lots"/,
  );
  assert.throws(
    () => buildCreateRequest('busybox', [], { ...none, network: 'container:web' }, ctx),
    /--network "container:web"/,
  );
  assert.throws(
    () => buildCreateRequest('busybox', [], { ...none, rm: true, restart: 'always' }, ctx),
    /--restart and --rm/,
  );
  assert.throws(
    () => buildCreateRequest('busybox', [], { ...none, securityOpt: ['apparmor=x'] }, ctx),
    /security-opt/,
  );
  assert.throws(() => buildCreateRequest('busybox', [], { ...none, cpus: '8' }, ctx), { code: 'Invalid' });
});

test('health flags: durations and retries parsed, --health-cmd run by the shell, --no-healthcheck alone', () => {
  const health = (flags: Partial<CreateFlags>) =>
    buildCreateRequest('busybox', [], { ...none, ...flags }, ctx).healthcheck;
  assert.deepEqual(
    health({
      healthCmd: 'test -e /tmp/ok',
      healthInterval: '200ms',
      healthTimeout: '1m30s',
      healthStartPeriod: '0',
      healthRetries: '2',
      healthOnFailure: 'none',
    }),
    {
      test: ['CMD-SHELL', 'test -e /tmp/ok'],
      intervalMs: 200,
      timeoutMs: 90_000,
      startPeriodMs: 0,
      retries: 2,
      onFailure: 'none',
    },
  );
  assert.deepEqual(
    health({ healthInterval: '5s' }),
    { test: [], intervalMs: 5000 },
    "the image's test with a new interval",
  );
  assert.deepEqual(health({ healthcheck: false }), { test: ['NONE'] });
  assert.equal(health({ healthcheck: true }), undefined);
  assert.throws(() => health({ healthInterval: 'abc' }), /invalid health-interval value "abc"/);
  assert.throws(() => health({ healthTimeout: '100us' }), /at least 1ms/);
  assert.throws(() => health({ healthRetries: '-1' }), /invalid health-retries value/);
  assert.throws(() => health({ healthOnFailure: 'reboot' }), /use none, kill, restart or stop/);
  assert.throws(() => health({ healthcheck: false, healthCmd: 'true' }), /--no-healthcheck and --health-\*/);
});
