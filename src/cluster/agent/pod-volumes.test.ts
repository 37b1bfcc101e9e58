import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import type { ConfigMap, Secret } from '../resources/core-schemas.ts';
import { configMapFiles, mountsFor, type PreparedVolume, secretFiles } from './pod-volumes.ts';
import { testContainer } from './test-pods.ts';

const volumes = new Map<string, PreparedVolume>([
  ['cache', { kind: 'directory', path: '/state/pods/u/volumes/empty-dir/cache', readOnly: false }],
  ['config', { kind: 'directory', path: '/state/pods/u/volumes/configmap/config', readOnly: true }],
  ['data', { kind: 'named', name: 'claim', path: '/var/lib/marina/volumes/claim/_data', readOnly: false }],
]);

test('volumeMounts become binds of the volume directory, named volumes by name, subPath binds inside the volume', () => {
  const container = testContainer({
    volumeMounts: [
      { name: 'cache', mountPath: '/cache' },
      { name: 'config', mountPath: '/etc/app' },
      { name: 'data', mountPath: '/data', readOnly: true },
      { name: 'data', mountPath: '/logs', subPath: 'logs/app' },
    ],
  });
  assert.deepEqual(mountsFor(container, volumes), [
    { type: 'bind', source: '/state/pods/u/volumes/empty-dir/cache', target: '/cache', readOnly: false },
    { type: 'bind', source: '/state/pods/u/volumes/configmap/config', target: '/etc/app', readOnly: true },
    { type: 'volume', name: 'claim', target: '/data', readOnly: true },
    {
      type: 'bind',
      source: '/var/lib/marina/volumes/claim/_data/logs/app',
      target: '/logs',
      readOnly: false,
    },
  ]);
});

test('a mount of an undeclared volume or a subPath leaving the volume is refused', () => {
  const refused = (mount: { name: string; mountPath: string; subPath?: string }) =>
    assert.throws(
      () => mountsFor(testContainer({ volumeMounts: [mount] }), volumes),
      (err) => isMarinaError(err, 'Invalid'),
    );
  refused({ name: 'nope', mountPath: '/x' });
  refused({ name: 'cache', mountPath: '/x', subPath: '../../etc' });
  refused({ name: 'cache', mountPath: '/x', subPath: '/etc' });
});

test('configMap and secret volumes hold one file per key (secrets decoded), or the chosen items with their modes', () => {
  const map = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg' },
    data: { 'app.conf': 'x=1' },
    binaryData: { blob: Buffer.from([1, 2]).toString('base64') },
  } as ConfigMap;
  assert.deepEqual(configMapFiles({ defaultMode: 0o600 }, map), [
    { path: 'app.conf', content: Buffer.from('x=1'), mode: 0o600 },
    { path: 'blob', content: Buffer.from([1, 2]), mode: 0o600 },
  ]);
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    data: { password: Buffer.from('pw').toString('base64') },
  } as Secret;
  assert.deepEqual(secretFiles({ items: [{ key: 'password', path: 'auth/pass', mode: 0o400 }] }, secret), [
    { path: 'auth/pass', content: Buffer.from('pw'), mode: 0o400 },
  ]);
  assert.throws(
    () => secretFiles({ items: [{ key: 'missing', path: 'm' }] }, secret),
    /key "missing" not found in secret "s"/,
  );
});
