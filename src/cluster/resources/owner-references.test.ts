import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controllerOf, isControlledBy, newControllerRef } from './owner-references.ts';

const replicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-5d8f', uid: 'rs-uid' },
};

test('a controller reference names the owner and blocks its foreground deletion', () => {
  assert.deepEqual(newControllerRef(replicaSet), {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: 'web-5d8f',
    uid: 'rs-uid',
    controller: true,
    blockOwnerDeletion: true,
  });
  assert.throws(() => newControllerRef({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }));
});

test('controllerOf finds the reference marked controller, ignoring plain owners', () => {
  const pod = {
    metadata: {
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', uid: 'cm-uid' },
        newControllerRef(replicaSet),
      ],
    },
  };
  assert.equal(controllerOf(pod)?.uid, 'rs-uid');
  assert.equal(isControlledBy(pod, replicaSet), true);
  assert.equal(isControlledBy(pod, { metadata: { uid: 'cm-uid' } }), false);
  assert.equal(controllerOf({ metadata: {} }), undefined);
  assert.equal(isControlledBy({ metadata: {} }, replicaSet), false);
});
