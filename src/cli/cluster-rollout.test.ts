import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment, ReplicaSet } from '../cluster/resources/apps-schemas.ts';
import { historyRows, parseRevision, restartedAtAnnotation, restartPatch, rolloutProgress } from './cluster-rollout.ts';

const deployment = (generation: number, status: Deployment['status'], replicas = 3): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', uid: 'd-uid', generation },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'busybox' }] } } },
  ...(status ? { status } : {}),
});

test("rollout status follows kubectl's stages until every replica is updated and available", () => {
  assert.deepEqual(rolloutProgress(deployment(2, { observedGeneration: 1 })), { done: false, message: 'Waiting for deployment spec update to be observed...' });
  assert.equal(
    rolloutProgress(deployment(2, { observedGeneration: 2, updatedReplicas: 1, replicas: 3 })).message,
    'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
  );
  assert.equal(
    rolloutProgress(deployment(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 })).message,
    'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
  );
  assert.equal(
    rolloutProgress(deployment(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).message,
    'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
  );
  assert.deepEqual(rolloutProgress(deployment(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })), {
    done: true,
    message: 'deployment "web" successfully rolled out',
  });
  assert.equal(rolloutProgress(deployment(1, { observedGeneration: 1 }, 0)).done, true, 'zero replicas is rolled out');
  const stuck = deployment(1, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
  assert.throws(() => rolloutProgress(stuck), /exceeded its progress deadline/);
});

test('history lists the owned ReplicaSets by revision with their change cause', () => {
  const rs = (name: string, revision: string | undefined, owner: string, cause?: string): ReplicaSet => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      annotations: { ...(revision ? { 'deployment.kubernetes.io/revision': revision } : {}), ...(cause ? { 'kubernetes.io/change-cause': cause } : {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner, controller: true }],
    },
    spec: { selector: {}, template: { spec: { containers: [] } } },
  });
  const rows = historyRows(deployment(1, undefined), [rs('b', '2', 'd-uid', 'new image'), rs('a', '1', 'd-uid'), rs('x', '3', 'other'), rs('y', undefined, 'd-uid')]);
  assert.deepEqual(rows, [
    ['1', '<none>'],
    ['2', 'new image'],
  ]);
});

test('restart patches a template annotation; revisions parse', () => {
  const patch = restartPatch(new Date('2025-01-01T00:00:00.123Z')) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
  assert.equal(patch.spec.template.metadata.annotations[restartedAtAnnotation], '2025-01-01T00:00:00Z');
  assert.equal(parseRevision('0'), 0);
  assert.equal(parseRevision('12'), 12);
  assert.throws(() => parseRevision('-1'), /revision number/);
});
