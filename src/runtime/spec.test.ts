import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { allCapabilities, defaultCapabilities } from './capabilities.ts';
import { buildSpec, DEFAULT_PIDS_LIMIT, defaultMaskedPaths } from './spec.ts';
import type { SpecInput } from './spec-input.ts';

function input(overrides: Partial<SpecInput> = {}): SpecInput {
  return {
    rootfs: '/r/rootfs',
    readOnlyRootfs: false,
    args: ['sh'],
    env: [],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: 'abc123',
    tty: false,
    mounts: [],
    resources: {},
    capAdd: [],
    capDrop: [],
    privileged: false,
    noNewPrivileges: false,
    seccomp: 'default',
    cgroupsPath: '/marina/abc',
    network: { mode: 'private' },
    ...overrides,
  };
}

const isInvalid = (err: unknown) => isMarinaError(err, 'Invalid');

test('default container gets Docker’s 14 capabilities in all three sets', () => {
  const caps = buildSpec(input()).process.capabilities;
  assert.equal(caps.bounding.length, 14);
  assert.deepEqual(caps.bounding, [...defaultCapabilities]);
  assert.deepEqual(caps.effective, caps.bounding);
  assert.deepEqual(caps.permitted, caps.bounding);
});

test('cap add/drop accept any case and with or without CAP_', () => {
  const caps = buildSpec(input({ capAdd: ['net_admin', 'CAP_SYS_TIME'], capDrop: ['Chown', 'cap_kill'] })).process.capabilities.bounding;
  assert.ok(caps.includes('CAP_NET_ADMIN') && caps.includes('CAP_SYS_TIME'));
  assert.ok(!caps.includes('CAP_CHOWN') && !caps.includes('CAP_KILL'));
});

test('cap-drop ALL keeps only the added; cap-add ALL gives all but the dropped', () => {
  assert.deepEqual(buildSpec(input({ capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE'] })).process.capabilities.bounding, ['CAP_NET_BIND_SERVICE']);
  const all = buildSpec(input({ capAdd: ['all'], capDrop: ['SYS_ADMIN'] })).process.capabilities.bounding;
  assert.equal(all.length, allCapabilities.length - 1);
  assert.ok(!all.includes('CAP_SYS_ADMIN'));
});

test('an unknown capability is Invalid', () => {
  assert.throws(() => buildSpec(input({ capAdd: ['FLY'] })), isInvalid);
});

test('privileged: all capabilities, no seccomp, no masked or readonly paths, all devices, rw sysfs', () => {
  const spec = buildSpec(input({ privileged: true, capDrop: ['ALL'] }));
  assert.equal(spec.process.capabilities.bounding.length, allCapabilities.length);
  assert.equal(spec.linux.seccomp, undefined);
  assert.equal(spec.linux.maskedPaths, undefined);
  assert.equal(spec.linux.readonlyPaths, undefined);
  assert.deepEqual(spec.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(spec.mounts.find((m) => m.destination === '/sys')?.options?.includes('rw'));
});

test('default container: masked and readonly paths, seccomp, device rules deny first, /sys read-only', () => {
  const spec = buildSpec(input());
  assert.deepEqual(spec.linux.maskedPaths, [...defaultMaskedPaths]);
  assert.ok(spec.linux.readonlyPaths?.includes('/proc/sysrq-trigger'));
  assert.equal(spec.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(spec.linux.resources?.devices?.[0], { allow: false, access: 'rwm' });
  assert.ok(spec.mounts.find((m) => m.destination === '/sys')?.options?.includes('ro'));
  assert.deepEqual(
    spec.mounts.map((m) => m.destination),
    ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm'],
  );
});

test('seccomp unconfined leaves the profile out', () => {
  assert.equal(buildSpec(input({ seccomp: 'unconfined' })).linux.seccomp, undefined);
});

test('limits: memory+swap equal, cpu quota from nanoCpus, default pids limit, -1 unlimited', () => {
  const r = buildSpec(input({ resources: { memoryBytes: 64 * 1024 * 1024, nanoCpus: 1.5e9 } })).linux.resources;
  assert.deepEqual(r?.memory, { limit: 67108864, swap: 67108864 });
  assert.deepEqual(r?.cpu, { quota: 150000, period: 100000 });
  assert.deepEqual(r?.pids, { limit: DEFAULT_PIDS_LIMIT });
  assert.equal(buildSpec(input({ resources: { pidsLimit: -1 } })).linux.resources?.pids, undefined);
  assert.deepEqual(buildSpec(input({ resources: { pidsLimit: 10 } })).linux.resources?.pids, { limit: 10 });
});

test('bad limits are Invalid', () => {
  assert.throws(() => buildSpec(input({ resources: { memoryBytes: 1024 } })), isInvalid);
  assert.throws(() => buildSpec(input({ resources: { nanoCpus: 1000 } })), isInvalid);
  assert.throws(() => buildSpec(input({ resources: { pidsLimit: 0 } })), isInvalid);
});

test('tmpfs mounts: nosuid,nodev,noexec by default, size and octal mode; exec lifts noexec', () => {
  const spec = buildSpec(
    input({
      mounts: [
        { type: 'tmpfs', target: '/tmp', sizeBytes: 1048576, mode: 0o1777 },
        { type: 'tmpfs', target: '/run', options: ['exec'] },
      ],
    }),
  );
  assert.deepEqual(spec.mounts.find((m) => m.destination === '/tmp')?.options, ['nosuid', 'nodev', 'noexec', 'size=1048576', 'mode=1777']);
  assert.deepEqual(spec.mounts.find((m) => m.destination === '/run')?.options, ['nosuid', 'nodev', 'exec']);
});

test('bind mounts and a user /dev/shm replacing the default', () => {
  const spec = buildSpec(
    input({
      mounts: [
        { type: 'bind', source: '/host/data', target: '/data', readOnly: true },
        { type: 'tmpfs', target: '/dev/shm', sizeBytes: 1024 },
      ],
    }),
  );
  assert.deepEqual(spec.mounts.find((m) => m.destination === '/data'), {
    destination: '/data',
    type: 'bind',
    source: '/host/data',
    options: ['rbind', 'ro', 'rprivate'],
  });
  assert.equal(spec.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
  assert.ok(spec.mounts.find((m) => m.destination === '/dev/shm')?.options?.includes('size=1024'));
  assert.throws(() => buildSpec(input({ mounts: [{ type: 'tmpfs', target: 'rel' }] })), isInvalid);
});

test('read-only root makes the etc files read-only too', () => {
  const spec = buildSpec(input({ readOnlyRootfs: true, etcFiles: { hostname: '/b/hostname', hosts: '/b/hosts', resolvConf: '/b/resolv.conf' } }));
  assert.equal(spec.root.readonly, true);
  const etc = spec.mounts.filter((m) => m.destination.startsWith('/etc/'));
  assert.deepEqual(etc.map((m) => m.destination), ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
  assert.ok(etc.every((m) => m.options?.includes('ro')));
});

test('network namespaces and sysctls', () => {
  const priv = buildSpec(input());
  assert.deepEqual(priv.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.equal(priv.linux.sysctl?.['net.ipv4.ip_unprivileged_port_start'], '0');
  const host = buildSpec(input({ network: { mode: 'host' } }));
  assert.ok(!host.linux.namespaces.some((n) => n.type === 'network'));
  assert.deepEqual(host.linux.sysctl, {});
  const joined = buildSpec(input({ network: { mode: 'path', path: '/run/netns/x' } }));
  assert.deepEqual(joined.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/x' });
  assert.throws(() => buildSpec(input({ network: { mode: 'host' }, sysctl: { 'net.core.somaxconn': '1' } })), isInvalid);
});

test('env: default PATH, HOSTNAME, TERM with a tty; user values win', () => {
  assert.deepEqual(buildSpec(input({ tty: true, consoleSize: { height: 40, width: 120 } })).process.env, [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOSTNAME=abc123',
    'TERM=xterm',
  ]);
  assert.deepEqual(buildSpec(input({ env: ['PATH=/bin', 'HOSTNAME=mine', 'A=1'] })).process.env, ['HOSTNAME=mine', 'PATH=/bin', 'A=1']);
  const tty = buildSpec(input({ tty: true, consoleSize: { height: 40, width: 120 } })).process;
  assert.deepEqual(tty.consoleSize, { height: 40, width: 120 });
  assert.equal(tty.terminal, true);
});

test('noNewPrivileges only when asked; no rlimits', () => {
  assert.equal(buildSpec(input()).process.noNewPrivileges, undefined);
  assert.equal(buildSpec(input({ noNewPrivileges: true })).process.noNewPrivileges, true);
  assert.equal(buildSpec(input()).process.rlimits, undefined);
});

test('no command or relative cwd is Invalid', () => {
  assert.throws(() => buildSpec(input({ args: [] })), isInvalid);
  assert.throws(() => buildSpec(input({ cwd: 'x' })), isInvalid);
});
