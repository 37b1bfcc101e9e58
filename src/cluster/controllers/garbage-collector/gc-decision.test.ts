import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { OwnerReference } from '../../resources/meta-schemas.ts';
import { decideDependent, decideOwner, type OwnerState, ownerStateOf } from './gc-decision.ts';

const ref = (uid: string, blockOwnerDeletion = true): OwnerReference => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: uid,
  uid,
  blockOwnerDeletion,
});

function object(
  name: string,
  refs: OwnerReference[] = [],
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, uid: `uid-${name}`, ownerReferences: refs, ...extra },
  };
}

const states = (entries: Record<string, OwnerState>) => new Map(Object.entries(entries));

test('a dependent whose owners are all gone is deleted in the background', () => {
  assert.deepEqual(
    decideDependent(object('p', [ref('a'), ref('b')]), states({ a: 'absent', b: 'absent' }), false),
    {
      action: 'delete',
      propagation: 'Background',
    },
  );
});

test('a dependent with a live owner stays; references to gone owners are removed', () => {
  assert.deepEqual(decideDependent(object('p', [ref('a')]), states({ a: 'present' }), false), {
    action: 'none',
  });
  assert.deepEqual(
    decideDependent(object('p', [ref('a'), ref('b')]), states({ a: 'present', b: 'absent' }), false),
    {
      action: 'updateReferences',
      ownerReferences: [ref('a')],
    },
  );
});

test('owners deleting in the foreground: the dependent goes, in the foreground when it owns things itself', () => {
  const dependent = object('rs', [ref('deploy')]);
  assert.deepEqual(decideDependent(dependent, states({ deploy: 'deletingForeground' }), true), {
    action: 'delete',
    propagation: 'Foreground',
  });
  assert.deepEqual(decideDependent(dependent, states({ deploy: 'deletingForeground' }), false), {
    action: 'delete',
    propagation: 'Background',
  });
  const alsoOwned = decideDependent(
    object('p', [ref('a'), ref('deploy')]),
    states({ a: 'present', deploy: 'deletingForeground' }),
    false,
  );
  assert.deepEqual(alsoOwned, {
    action: 'updateReferences',
    ownerReferences: [ref('a'), ref('deploy', false)],
  });
});

test('objects without owners, or already being deleted, are left alone; unknown owners count as present', () => {
  assert.deepEqual(decideDependent(object('p'), states({}), false), { action: 'none' });
  assert.deepEqual(
    decideDependent(
      object('p', [ref('a')], { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      states({ a: 'absent' }),
      false,
    ),
    {
      action: 'none',
    },
  );
  assert.deepEqual(decideDependent(object('p', [ref('a')]), states({}), false), { action: 'none' });
});

test('foreground owner: non-deleting dependents deleted; finalizer removed once no blocking dependent is left', () => {
  const owner = object('rs', [], {
    uid: 'o',
    deletionTimestamp: '2026-01-01T00:00:00Z',
    finalizers: ['foregroundDeletion'],
  });
  const blocking = object('p1', [ref('o')]);
  const terminating = object('p2', [ref('o')], { deletionTimestamp: '2026-01-01T00:00:00Z' });
  const decision = decideOwner(owner, [blocking, terminating]);
  assert.deepEqual(decision.deleteDependents, [blocking]);
  assert.equal(decision.removeFinalizer, undefined);
  const nonBlocking = object('p3', [ref('o', false)]);
  assert.deepEqual(decideOwner(owner, [nonBlocking]), {
    deleteDependents: [nonBlocking],
    orphanDependents: [],
    removeFinalizer: 'foregroundDeletion',
  });
  assert.equal(decideOwner(owner, []).removeFinalizer, 'foregroundDeletion');
});

test('orphan owner: dependents lose the reference first, then the finalizer goes; not deleting: nothing', () => {
  const owner = object('rs', [], {
    uid: 'o',
    deletionTimestamp: '2026-01-01T00:00:00Z',
    finalizers: ['orphan'],
  });
  const dependent = object('p', [ref('o')]);
  assert.deepEqual(decideOwner(owner, [dependent]), { deleteDependents: [], orphanDependents: [dependent] });
  assert.equal(decideOwner(owner, []).removeFinalizer, 'orphan');
  assert.deepEqual(decideOwner(object('rs', [], { uid: 'o' }), [dependent]), {
    deleteDependents: [],
    orphanDependents: [],
  });
});

test('ownerStateOf: a different uid under the same name is a gone owner', () => {
  assert.equal(ownerStateOf(undefined, 'a'), 'absent');
  assert.equal(ownerStateOf(object('x', [], { uid: 'b' }), 'a'), 'absent');
  assert.equal(ownerStateOf(object('x', [], { uid: 'a' }), 'a'), 'present');
  assert.equal(
    ownerStateOf(
      object('x', [], { uid: 'a', deletionTimestamp: 't', finalizers: ['foregroundDeletion'] }),
      'a',
    ),
    'deletingForeground',
  );
});
