import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createdState } from './container-store.ts';
import type { ContainerRecord } from './container-types.ts';
import { specInputOf } from './spec-input-of.ts';

const record = (over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  id: 'a'.repeat(64),
  name: 'web',
  created: '',
  image: 'busybox',
  imageId: 'sha256:x',
  request: {
    image: 'busybox',
    readOnlyRootfs: true,
    mounts: [{ type: 'tmpfs', target: '/run', sizeBytes: 1024, mode: 0o700 }],
    capDrop: ['NET_RAW'],
    securityOpt: { noNewPrivileges: true },
  },
  path: 'httpd',
  args: ['-f'],
  env: ['PATH=/bin'],
  workingDir: '/srv',
  user: 'www-data',
  hostname: 'aaaaaaaaaaaa',
  mounts: [
    { type: 'volume', name: 'data', source: '/v/data/_data', target: '/data', readOnly: true },
    { type: 'tmpfs', source: '', target: '/run', readOnly: false },
  ],
  networks: [],
  ports: [],
  state: createdState(),
  logPath: '',
  ...over,
});

const settled = {
  rootfs: '/r/merged',
  user: { uid: 33, gid: 33, additionalGids: [] },
  etcFiles: { hostname: '/b/hostname', hosts: '/b/hosts', resolvConf: '/b/resolv.conf' },
};

test('the record and what start settled become the spec input', () => {
  const input = specInputOf(record(), settled);
  assert.deepEqual(input.args, ['httpd', '-f']);
  assert.equal(input.cwd, '/srv');
  assert.equal(input.readOnlyRootfs, true);
  assert.equal(input.noNewPrivileges, true);
  assert.deepEqual(input.capDrop, ['NET_RAW']);
  assert.deepEqual(input.user, settled.user);
  assert.equal(input.cgroupsPath, `/marina/${'a'.repeat(64)}`);
  assert.deepEqual(input.mounts, [
    { type: 'bind', source: '/v/data/_data', target: '/data', readOnly: true },
    { type: 'tmpfs', target: '/run', sizeBytes: 1024, mode: 0o700 },
  ]);
});

test('only --network host shares the host namespace; bridge networks are joined into a private one', () => {
  assert.deepEqual(specInputOf(record(), settled).network, { mode: 'private' });
  const host = record({ request: { image: 'busybox', networkMode: 'host' } });
  assert.deepEqual(specInputOf(host, settled).network, { mode: 'host' });
  const none = record({ request: { image: 'busybox', networkMode: 'none' } });
  assert.deepEqual(specInputOf(none, settled).network, { mode: 'private' });
});
