import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import { applyUpdate } from './cluster-apply.ts';
import { checkManifests } from './cluster-manifests.ts';

const manifest = (labels: Record<string, string>, data: Record<string, string>) =>
  checkManifests([{ source: 't', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels }, data } }], 'default')[0]!;

const stored: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'c',
    namespace: 'default',
    uid: 'u',
    resourceVersion: '7',
    labels: { app: 'x', added: 'by-someone' },
    finalizers: ['example.com/keep'],
  },
  data: { a: '1' },
};

test('an apply that declares nothing new writes nothing', () => {
  assert.equal(applyUpdate(manifest({ app: 'x' }, { a: '1' }), stored), undefined);
});

test("an update carries the read's resourceVersion, the manifest's content and labels, and keeps others' labels and finalizers", () => {
  const update = applyUpdate(manifest({ app: 'y' }, { a: '2' }), stored)!;
  assert.equal(update.metadata.resourceVersion, '7');
  assert.deepEqual(update.data, { a: '2' });
  assert.deepEqual(update.metadata.labels, { app: 'y', added: 'by-someone' });
  assert.deepEqual(update.metadata.finalizers, ['example.com/keep']);
  assert.ok(applyUpdate(manifest({ app: 'x' }, { a: '1', b: '2' }), stored), 'a new key is a change');
});
