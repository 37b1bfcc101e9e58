import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCapabilities } from './capabilities.ts';
import { defaultSeccompProfile } from './seccomp.ts';
import type { OciSeccomp } from './oci-spec.ts';

const allowed = (profile: OciSeccomp, name: string) =>
  profile.syscalls.some((s) => s.action === 'SCMP_ACT_ALLOW' && s.names.includes(name));

test('default caps: mount, unshare, setns, keyctl, io_uring and kexec are not allowed; read and ptrace are', () => {
  const profile = defaultSeccompProfile(defaultCapabilities, 'x64');
  assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(profile.defaultErrnoRet, 1);
  assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'keyctl', 'io_uring_setup', 'kexec_load', 'bpf', 'settimeofday', 'reboot']) {
    assert.ok(!allowed(profile, name), name);
  }
  for (const name of ['read', 'execve', 'ptrace', 'chroot', 'socket']) assert.ok(allowed(profile, name), name);
});

test('with CAP_SYS_ADMIN mount and unrestricted clone are allowed, clone3 no longer ENOSYS', () => {
  const profile = defaultSeccompProfile([...defaultCapabilities, 'CAP_SYS_ADMIN'], 'x64');
  assert.ok(allowed(profile, 'mount'));
  assert.ok(profile.syscalls.some((s) => s.names.includes('clone') && s.action === 'SCMP_ACT_ALLOW' && !s.args));
  assert.ok(!profile.syscalls.some((s) => s.names.includes('clone3') && s.action === 'SCMP_ACT_ERRNO'));
});

test('without CAP_SYS_ADMIN clone is masked against namespace flags and clone3 returns ENOSYS', () => {
  const profile = defaultSeccompProfile(defaultCapabilities, 'x64');
  const clone = profile.syscalls.filter((s) => s.names.includes('clone'));
  assert.equal(clone.length, 1);
  assert.equal(clone[0]?.args?.[0]?.op, 'SCMP_CMP_MASKED_EQ');
  assert.deepEqual(profile.syscalls.find((s) => s.names.includes('clone3')), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
});

test('capability-guarded syscalls follow their capability; arm-only names only on arm', () => {
  assert.ok(!allowed(defaultSeccompProfile(defaultCapabilities, 'x64'), 'clock_settime'));
  assert.ok(allowed(defaultSeccompProfile([...defaultCapabilities, 'CAP_SYS_TIME'], 'x64'), 'clock_settime'));
  assert.ok(!allowed(defaultSeccompProfile([], 'x64'), 'chroot'));
  assert.ok(!allowed(defaultSeccompProfile(defaultCapabilities, 'x64'), 'set_tls'));
  const arm = defaultSeccompProfile(defaultCapabilities, 'arm64');
  assert.ok(allowed(arm, 'set_tls'));
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
});
