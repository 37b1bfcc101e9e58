import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../../errors.ts';
import type { Deployment, ReplicaSet } from '../../resources/apps-schemas.ts';
import { getCondition, isComplete, rolloutStatus } from './deployment-status.ts';
import { podTemplateHash, sameTemplate } from './pod-template-hash.ts';
import { fenceposts, initialNewReplicas, type Resize, scaleDownOld, scaleToReplicas, scaleUpNew } from './replica-arithmetic.ts';
import { replicaSetsToPrune, revisionAnnotation, rollbackTemplate } from './revisions.ts';

const now = Date.parse('2025-01-01T00:10:00Z');
const template = (version: string) => ({
  metadata: { labels: { app: 'web', version } },
  spec: { containers: [{ name: 'c', image: `busybox:${version}` }] },
});

function deployment(spec: Partial<Deployment['spec']> = {}, status?: Deployment['status']): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 2 },
    spec: {
      replicas: 10,
      selector: { matchLabels: { app: 'web' } },
      template: template('b'),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 3 } },
      progressDeadlineSeconds: 60,
      revisionHistoryLimit: 2,
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function rs(name: string, replicas: number, available = replicas, options: { revision?: number; created?: string; version?: string; statusReplicas?: number } = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: options.created ?? `2025-01-01T00:0${options.revision ?? 0}:00Z`,
      annotations: { [revisionAnnotation]: String(options.revision ?? 1) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }],
    },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(options.version ?? name) },
    status: { replicas: options.statusReplicas ?? replicas, readyReplicas: available, availableReplicas: available },
  };
}

const sizes = (resizes: readonly Resize[]) => Object.fromEntries(resizes.map((r) => [r.rs.metadata.name, r.replicas]));

test('fenceposts: percentages round surge up and unavailability down; Recreate has neither', () => {
  const percent = (maxSurge: string, maxUnavailable: string, replicas: number) =>
    fenceposts(deployment({ replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } }));
  assert.deepEqual(percent('25%', '25%', 10), { maxSurge: 3, maxUnavailable: 2 });
  assert.deepEqual(percent('25%', '25%', 3), { maxSurge: 1, maxUnavailable: 0 });
  assert.deepEqual(percent('0%', '0%', 3), { maxSurge: 0, maxUnavailable: 1 });
  assert.deepEqual(percent('25%', '100%', 0), { maxSurge: 0, maxUnavailable: 0 });
  assert.deepEqual(fenceposts(deployment({ strategy: { type: 'Recreate' } })), { maxSurge: 0, maxUnavailable: 0 });
});

test('a new ReplicaSet starts as large as the surge allows', () => {
  const d = deployment();
  assert.equal(initialNewReplicas(d, [rs('a', 10)]), 2);
  assert.equal(initialNewReplicas(d, [rs('a', 12)]), 0);
  assert.equal(initialNewReplicas(d, []), 10);
  assert.equal(initialNewReplicas(deployment({ strategy: { type: 'Recreate' } }), [rs('a', 10)]), 10);
});

test('scale up: the new ReplicaSet grows to replicas + maxSurge pods in all, never past replicas', () => {
  const d = deployment();
  const newRS = rs('b', 2, 0);
  assert.equal(scaleUpNew(d, newRS, [newRS, rs('a', 10)]), undefined, 'already at 12');
  assert.equal(scaleUpNew(d, newRS, [newRS, rs('a', 7)])?.replicas, 5);
  assert.equal(scaleUpNew(d, newRS, [newRS, rs('a', 0)])?.replicas, 10, 'not past replicas');
  const tooBig = rs('b', 12);
  assert.equal(scaleUpNew(d, tooBig, [tooBig])?.replicas, 10, 'a too large new ReplicaSet shrinks to replicas');
});

test('scale down: never below replicas - maxUnavailable available, unhealthy old pods first, oldest first', () => {
  const d = deployment(); // 10 replicas, minAvailable 7, at most 12 pods
  // 10 old available, 2 new not available: 3 old may go, leaving the minimum of 7 available.
  assert.deepEqual(sizes(scaleDownOld(d, rs('b', 2, 0), [rs('a', 10)])), { a: 7 });
  // The new pods are ready: 12 available, 5 may go.
  assert.deepEqual(sizes(scaleDownOld(d, rs('b', 2, 2), [rs('a', 10)])), { a: 5 });
  // Exactly at the minimum: nothing goes.
  assert.deepEqual(scaleDownOld(d, rs('b', 5, 0), [rs('a', 7)]), []);
  // Unavailable old pods cost no availability: they go first (as many as the 12 - 7 - 2 budget allows).
  assert.deepEqual(sizes(scaleDownOld(d, rs('b', 2, 0), [rs('a', 10, 6)])), { a: 7 });
  assert.deepEqual(sizes(scaleDownOld(d, rs('b', 2, 2), [rs('a', 10, 6)])), { a: 5 }, 'then available ones, down to 7 available');
  // Oldest first across several old ReplicaSets.
  const older = rs('a1', 4, 4, { created: '2025-01-01T00:00:00Z' });
  const newer = rs('a2', 6, 6, { created: '2025-01-01T00:01:00Z' });
  assert.deepEqual(sizes(scaleDownOld(d, rs('b', 2, 2), [newer, older])), { a1: 0, a2: 5 });
});

test('scale down: an old ReplicaSet still reporting pods it is deleting counts only its new size', () => {
  const d = deployment();
  // Old was scaled to 5 but still reports 10 available: only 5 of them count, so only 2 more may go.
  const stale = rs('a', 5, 10, { statusReplicas: 10 });
  assert.deepEqual(sizes(scaleDownOld(d, rs('b', 7, 4), [stale])), { a: 3 });
});

test('a rolling update driven step by step stays within its fenceposts and ends on the new ReplicaSet', () => {
  for (const [maxSurge, maxUnavailable, replicas] of [
    [1, 0, 3],
    [0, 1, 3],
    [2, 3, 10],
    ['25%', '25%', 7],
  ] as const) {
    const d = deployment({ replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } });
    const { maxSurge: surge, maxUnavailable: unavailable } = fenceposts(d);
    let oldRS = rs('a', replicas);
    let newRS = rs('b', 0);
    for (let step = 0; step < 100 && !(newRS.spec.replicas === replicas && oldRS.spec.replicas === 0); step++) {
      const up = scaleUpNew(d, newRS, [newRS, oldRS]);
      if (up) newRS = rs('b', up.replicas, newRS.status?.availableReplicas);
      else for (const down of scaleDownOld(d, newRS, [oldRS])) oldRS = rs('a', down.replicas);
      // The pods converge: every pod becomes available before the next step.
      newRS = rs('b', newRS.spec.replicas!);
      const total = newRS.spec.replicas! + oldRS.spec.replicas!;
      assert.ok(total <= replicas + surge, `${total} pods with maxSurge ${surge}`);
      assert.ok(total >= replicas - unavailable, `${total} pods with maxUnavailable ${unavailable}`);
    }
    assert.equal(newRS.spec.replicas, replicas);
    assert.equal(oldRS.spec.replicas, 0);
  }
});

test('resizing: the only active ReplicaSet takes the count; mid-rollout the change is shared proportionally', () => {
  assert.deepEqual(sizes(scaleToReplicas(deployment({ replicas: 4 }), rs('b', 10), [rs('a', 0)])), { b: 4 });
  assert.deepEqual(sizes(scaleToReplicas(deployment({ replicas: 10 }), rs('b', 10), [rs('a', 0)])), {});
  // 10 → 20 replicas with 6 old and 6 new (12 = 10 + surge 2): 22 allowed, 10 more shared 5 and 5.
  assert.deepEqual(sizes(scaleToReplicas(deployment({ replicas: 20 }), rs('b', 6, 0), [rs('a', 6)])), { a: 11, b: 11 });
  // Shrinking: 12 → 7 (5 + surge 2): 8 loses 3 and 4 loses 1 (shares truncated), the leftover 1 from the largest.
  assert.deepEqual(sizes(scaleToReplicas(deployment({ replicas: 5 }), rs('b', 4, 0), [rs('a', 8)])), { a: 4, b: 3 });
});

test('pod-template-hash: stable whatever the key order, different for another template or collision count', () => {
  const a = template('a');
  const reordered = { spec: { containers: [{ image: 'busybox:a', name: 'c' }] }, metadata: { labels: { version: 'a', app: 'web' } } };
  assert.equal(podTemplateHash(a), podTemplateHash(reordered));
  assert.match(podTemplateHash(a), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.notEqual(podTemplateHash(a), podTemplateHash(template('b')));
  assert.notEqual(podTemplateHash(a), podTemplateHash(a, 1));
  assert.equal(podTemplateHash(a, 0), podTemplateHash(a));
  const hashed = { ...a, metadata: { labels: { ...a.metadata.labels, 'pod-template-hash': 'xyz' } } };
  assert.ok(sameTemplate(hashed, a));
  assert.ok(!sameTemplate(hashed, template('b')));
  // Adding the restartedAt annotation (rollout restart) is a new template.
  const restarted = { ...a, metadata: { ...a.metadata, annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } };
  assert.notEqual(podTemplateHash(restarted), podTemplateHash(a));
});

test('rollbackTemplate: the previous revision by default, a named one on request, NotFound otherwise', () => {
  const d = deployment({}, undefined);
  d.metadata.annotations = { [revisionAnnotation]: '3' };
  const history = [rs('web-1', 0, 0, { revision: 1, version: 'one' }), rs('web-3', 10, 10, { revision: 3, version: 'three' }), rs('web-2', 0, 0, { revision: 2, version: 'two' })];
  history[1]!.spec.template.metadata!.labels!['pod-template-hash'] = 'h3';
  assert.equal(rollbackTemplate(d, history).metadata?.labels?.version, 'two');
  assert.equal(rollbackTemplate(d, history, 1).metadata?.labels?.version, 'one');
  assert.equal(rollbackTemplate(d, history, 3).metadata?.labels?.['pod-template-hash'], undefined, 'without the hash label');
  assert.throws(() => rollbackTemplate(d, history, 7), (err) => isMarinaError(err, 'NotFound') && /revision 7/.test(err.message));
  assert.throws(() => rollbackTemplate(d, [history[1]!]), (err) => isMarinaError(err, 'NotFound'));
  const foreign = { ...history[0]!, metadata: { ...history[0]!.metadata, ownerReferences: [] } };
  assert.throws(() => rollbackTemplate(d, [foreign, history[1]!], 1), (err) => isMarinaError(err, 'NotFound'), 'only its own ReplicaSets');
});

test('history: idle old ReplicaSets beyond revisionHistoryLimit are pruned, oldest revision first', () => {
  const d = deployment({ revisionHistoryLimit: 1 });
  const old = [rs('r2', 0, 0, { revision: 2 }), rs('r1', 0, 0, { revision: 1 }), rs('r3', 0, 0, { revision: 3 }), rs('busy', 2, 2, { revision: 4 })];
  assert.deepEqual(replicaSetsToPrune(d, old).map((r) => r.metadata.name), ['r1', 'r2']);
  assert.deepEqual(replicaSetsToPrune(deployment({ revisionHistoryLimit: 5 }), old), []);
  const draining = rs('draining', 0, 0, { revision: 0, statusReplicas: 1 });
  assert.deepEqual(replicaSetsToPrune(deployment({ revisionHistoryLimit: 0 }), [draining]), [], 'not while it still has pods');
});

test('progress: complete, progressing (refreshing the deadline), or past the deadline', () => {
  const started = '2025-01-01T00:00:00Z';
  const progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: '', lastUpdateTime: started, lastTransitionTime: started };
  const before = { replicas: 12, updatedReplicas: 2, readyReplicas: 10, availableReplicas: 10, observedGeneration: 2, conditions: [progressing] };
  const newRS = rs('b', 2, 0);
  // No change since the last status, 10 minutes after the last progress with a 60 s deadline: exceeded.
  const stalled = rolloutStatus(deployment({}, before), newRS, [newRS, rs('a', 10)], now);
  assert.equal(getCondition(stalled, 'Progressing')?.reason, 'ProgressDeadlineExceeded');
  assert.equal(getCondition(stalled, 'Progressing')?.status, 'False');
  assert.equal(getCondition(stalled, 'Available')?.status, 'True');
  // A new pod became ready: progress, a fresh deadline, the transition time kept.
  const moved = rolloutStatus(deployment({}, before), rs('b', 2, 1), [rs('b', 2, 1), rs('a', 10)], now);
  const condition = getCondition(moved, 'Progressing');
  assert.equal(condition?.reason, 'ReplicaSetUpdated');
  assert.equal(condition?.lastUpdateTime, '2025-01-01T00:10:00Z');
  assert.equal(condition?.lastTransitionTime, started);
  // Everything updated and available.
  const done = rolloutStatus(deployment({}, before), rs('b', 10), [rs('b', 10), rs('a', 0)], now);
  assert.ok(isComplete(deployment(), done));
  assert.equal(getCondition(done, 'Progressing')?.reason, 'NewReplicaSetAvailable');
  // Under the minimum: not Available.
  const down = rolloutStatus(deployment({}, before), rs('b', 10, 2), [rs('b', 10, 2)], now);
  assert.equal(getCondition(down, 'Available')?.reason, 'MinimumReplicasUnavailable');
  assert.equal(down.unavailableReplicas, 8);
});
