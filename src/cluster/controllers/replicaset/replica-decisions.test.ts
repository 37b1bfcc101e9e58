import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReplicaSet } from '../../resources/apps-schemas.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { isPodAvailable, nextAvailableInMs } from './pod-state.ts';
import { claim, podFromTemplate, podsToDeleteFirst, replicaChange, replicaSetStatus, slowStartBatches } from './replica-decisions.ts';

const now = Date.parse('2025-01-01T00:10:00Z');
const rsUid = 'rs-uid';
const controllerRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: rsUid, controller: true };

function pod(name: string, options: { labels?: Record<string, string>; owner?: string | null; phase?: string; ready?: string; node?: string; created?: string; restarts?: number; deleting?: boolean } = {}): Pod {
  const owner = options.owner === undefined ? rsUid : options.owner;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: options.labels ?? { app: 'web' },
      creationTimestamp: options.created ?? '2025-01-01T00:00:00Z',
      ...(owner ? { ownerReferences: [{ ...controllerRef, uid: owner }] } : {}),
      ...(options.deleting ? { deletionTimestamp: '2025-01-01T00:09:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(options.node ? { nodeName: options.node } : {}) },
    status: {
      phase: options.phase ?? 'Running',
      ...(options.ready ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: options.ready }] } : {}),
      ...(options.restarts ? { containerStatuses: [{ name: 'c', ready: true, restartCount: options.restarts, image: 'busybox' }] } : {}),
    },
  };
}

const rs: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'rs', namespace: 'default', uid: rsUid, generation: 4 },
  spec: {
    replicas: 3,
    minReadySeconds: 60,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
  },
};

test('claim: owned matching pods, matching orphans adopted, relabelled pods released, others ignored', () => {
  const claims = claim(rs, [
    pod('mine'),
    pod('orphan', { owner: null }),
    pod('deleting-orphan', { owner: null, deleting: true }),
    pod('relabelled', { labels: { app: 'other' } }),
    pod('someone-elses', { owner: 'other-uid' }),
    pod('unrelated-orphan', { owner: null, labels: { app: 'db' } }),
  ]);
  const names = (pods: Pod[]) => pods.map((p) => p.metadata.name);
  assert.deepEqual(names(claims.owned), ['mine']);
  assert.deepEqual(names(claims.adopt), ['orphan']);
  assert.deepEqual(names(claims.release), ['relabelled']);
});

test('claim: an owner being deleted adopts nothing', () => {
  const deleting = { ...rs, metadata: { ...rs.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } };
  assert.deepEqual(claim(deleting, [pod('orphan', { owner: null })]).adopt, []);
});

test('slow start: batches of 1, 2, 4, … that add up to the count', () => {
  assert.deepEqual(slowStartBatches(0), []);
  assert.deepEqual(slowStartBatches(1), [1]);
  assert.deepEqual(slowStartBatches(10), [1, 2, 4, 3]);
  assert.deepEqual(slowStartBatches(100), [1, 2, 4, 8, 16, 32, 37]);
});

test('replicaChange: creates the shortfall (at most a burst), deletes the surplus, nothing when even', () => {
  assert.deepEqual(replicaChange(3, [pod('a')], now), { create: 2, delete: [] });
  assert.deepEqual(replicaChange(1, [pod('a')], now), { create: 0, delete: [] });
  assert.equal(replicaChange(10_000, [], now).create, 500);
  assert.deepEqual(replicaChange(1, [pod('a'), pod('b', { phase: 'Pending' })], now).delete.map((p) => p.metadata.name), ['b']);
});

test('deletion order: unscheduled, pending, not ready, doubled up, ready for less time, restarted, newer', () => {
  const ordered = [
    pod('unscheduled', { ready: '2025-01-01T00:00:00Z' }),
    pod('pending', { phase: 'Pending', node: 'n1' }),
    pod('unknown', { phase: 'Unknown', node: 'n1' }),
    pod('not-ready', { node: 'n1' }),
    pod('doubled-up', { node: 'n2', ready: '2025-01-01T00:00:00Z' }),
    pod('ready-recently', { node: 'n3', ready: '2025-01-01T00:08:00Z' }),
    pod('restarted', { node: 'n4', ready: '2025-01-01T00:01:00Z', restarts: 3 }),
    pod('newer', { node: 'n5', ready: '2025-01-01T00:01:00Z', created: '2025-01-01T00:00:30Z' }),
    pod('oldest', { node: 'n6', ready: '2025-01-01T00:01:00Z' }),
  ];
  // n2 runs two ready pods: both go before the lone ready ones, the newer of the two first.
  const partner = pod('doubled-up-partner', { node: 'n2', ready: '2025-01-01T00:00:00Z', created: '2024-12-31T00:00:00Z' });
  const expected = [...ordered.slice(0, 5), partner, ...ordered.slice(5)];
  const shuffled = [...expected].reverse();
  const names = podsToDeleteFirst(shuffled, expected.length, now).map((p) => p.metadata.name);
  assert.deepEqual(names, expected.map((p) => p.metadata.name));
  assert.deepEqual(podsToDeleteFirst(shuffled, 2, now).map((p) => p.metadata.name), ['unscheduled', 'pending']);
});

test('status: deleting and finished pods do not count; available needs minReadySeconds of readiness', () => {
  const status = replicaSetStatus(
    rs,
    [
      pod('available', { labels: { app: 'web', tier: 'front' }, ready: '2025-01-01T00:00:00Z' }),
      pod('ready-not-yet-available', { ready: '2025-01-01T00:09:30Z' }),
      pod('not-ready'),
      pod('deleting', { deleting: true, ready: '2025-01-01T00:00:00Z' }),
      pod('failed', { phase: 'Failed' }),
      pod('succeeded', { phase: 'Succeeded' }),
    ],
    now,
  );
  assert.deepEqual(status, { replicas: 3, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 });
});

test('availability: the wait until a Ready pod becomes available', () => {
  const waiting = pod('w', { ready: '2025-01-01T00:09:30Z' });
  assert.equal(isPodAvailable(waiting, 60, now), false);
  assert.equal(isPodAvailable(waiting, 0, now), true);
  assert.equal(nextAvailableInMs([waiting, pod('x')], 60, now), 30_000);
  assert.equal(nextAvailableInMs([waiting], 0, now), undefined);
});

test('a pod from the template: generated name, template labels, controller reference, the template spec', () => {
  const made = podFromTemplate(rs, controllerRef);
  assert.equal(made.metadata.generateName, 'rs-');
  assert.deepEqual(made.metadata.labels, { app: 'web', tier: 'front' });
  assert.deepEqual(made.metadata.ownerReferences, [controllerRef]);
  assert.deepEqual(made.spec, rs.spec.template.spec);
  assert.notEqual(made.spec, rs.spec.template.spec, 'a copy, not the template itself');
});
