import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { Deployment, ReplicaSet } from '../../resources/apps-schemas.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { isPodReady } from '../replicaset/pod-state.ts';
import { eventually } from '../test-eventually.ts';
import { getCondition } from './deployment-status.ts';
import { revisionAnnotation, rollbackTemplate } from './revisions.ts';
import { deploymentKind, deploymentManifest, podKind, replicaSetKind, startWorkloads, type Workloads } from './test-workloads.ts';

const deploymentOf = (w: Workloads, name: string) => w.informers.deployments.get('default', name) as Deployment | undefined;
const replicaSetsOf = (w: Workloads) => w.informers.replicaSets.list('default') as ReplicaSet[];
const livePods = (w: Workloads) => (w.informers.pods.list('default') as Pod[]).filter((p) => !p.metadata.deletionTimestamp);

/** Complete: the latest generation observed, every pod updated and available, the new ReplicaSet done. */
function rolledOut(w: Workloads, name: string, replicas: number) {
  const d = deploymentOf(w, name);
  const s = d?.status;
  const done =
    s &&
    s?.observedGeneration === d.metadata.generation &&
    s.updatedReplicas === replicas &&
    s.replicas === replicas &&
    s.availableReplicas === replicas &&
    getCondition(s, 'Progressing')?.reason === 'NewReplicaSetAvailable';
  return done ? d : undefined;
}

async function updateTemplate(w: Workloads, name: string, change: (d: Deployment) => void) {
  const d = structuredClone((await w.cluster.api.get(deploymentKind, 'default', name)) as Deployment);
  change(d);
  await w.cluster.api.update(deploymentKind, 'default', name, d);
}

test('a Deployment gets a hash-named ReplicaSet and its pods, and reports itself available and complete', async (t) => {
  const w = await startWorkloads(t);
  await w.cluster.api.create(deploymentKind, 'default', deploymentManifest('web', 'a'));
  const d = await eventually(() => rolledOut(w, 'web', 3), 'the deployment to roll out');
  const [rs, ...others] = replicaSetsOf(w);
  assert.equal(others.length, 0);
  const hash = rs!.metadata.labels?.['pod-template-hash'];
  assert.ok(hash);
  assert.equal(rs!.metadata.name, `web-${hash}`);
  assert.equal(rs!.metadata.annotations?.[revisionAnnotation], '1');
  assert.equal(d.metadata.annotations?.[revisionAnnotation], '1');
  assert.equal(getCondition(d.status, 'Available')?.status, 'True');
  const pods = livePods(w);
  assert.equal(pods.length, 3);
  for (const pod of pods) {
    assert.equal(pod.metadata.labels?.['pod-template-hash'], hash);
    assert.ok(pod.metadata.name?.startsWith(`web-${hash}-`));
  }
  assert.ok(w.events.some((e) => e.reason === 'ScalingReplicaSet'));
  assert.ok(w.events.some((e) => e.reason === 'SuccessfulCreate'));
});

test('a template change rolls out without ever going under replicas - maxUnavailable ready pods or over replicas + maxSurge', async (t) => {
  const w = await startWorkloads(t);
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
  await w.cluster.api.create(deploymentKind, 'default', deploymentManifest('web', 'a', { replicas: 4, strategy }));
  await eventually(() => rolledOut(w, 'web', 4), 'the first rollout');

  const violations: string[] = [];
  const check = () => {
    const ready = livePods(w).filter(isPodReady).length;
    if (ready < 3) violations.push(`${ready} ready pods`);
    const sized = replicaSetsOf(w).reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
    if (sized > 5) violations.push(`${sized} replicas across the ReplicaSets`);
  };
  w.informers.pods.on({ updated: check, deleted: check, added: check });
  w.informers.replicaSets.on({ updated: check, added: check });

  await updateTemplate(w, 'web', (d) => {
    d.spec.template.metadata!.labels!.version = 'b';
  });
  const d = await eventually(() => rolledOut(w, 'web', 4), 'the second rollout');
  assert.deepEqual(violations, []);
  assert.equal(d.metadata.annotations?.[revisionAnnotation], '2');
  assert.ok(livePods(w).every((p) => p.metadata.labels?.version === 'b'));
  const old = replicaSetsOf(w).find((rs) => rs.metadata.annotations?.[revisionAnnotation] === '1');
  assert.equal(old?.spec.replicas, 0, 'the old ReplicaSet is kept in the history, scaled to 0');
});

test('a rollout whose pods never become Ready stalls, misses its deadline, and is rolled back', async (t) => {
  const w = await startWorkloads(t, { ready: (pod) => pod.metadata.labels?.version !== 'broken' });
  await w.cluster.api.create(deploymentKind, 'default', deploymentManifest('web', 'a', { replicas: 2, progressDeadlineSeconds: 1 }));
  await eventually(() => rolledOut(w, 'web', 2), 'the first rollout');
  await updateTemplate(w, 'web', (d) => {
    d.spec.template.metadata!.labels!.version = 'broken';
  });

  const stalled = await eventually(() => {
    const d = deploymentOf(w, 'web');
    return getCondition(d?.status, 'Progressing')?.reason === 'ProgressDeadlineExceeded' && d;
  }, 'the progress deadline to pass');
  assert.equal(getCondition(stalled.status, 'Progressing')?.status, 'False');
  assert.equal(stalled.status?.availableReplicas, 2, 'the old pods still serve');

  const template = rollbackTemplate(stalled, replicaSetsOf(w));
  assert.equal(template.metadata?.labels?.version, 'a');
  await updateTemplate(w, 'web', (d) => {
    d.spec.template = template;
  });
  const d = await eventually(() => rolledOut(w, 'web', 2), 'the rollback to complete');
  assert.ok(livePods(w).every((p) => p.metadata.labels?.version === 'a'));
  assert.equal(d.metadata.annotations?.[revisionAnnotation], '3', 'the restored template is the newest revision');
  assert.equal(replicaSetsOf(w).length, 2, 'the first ReplicaSet was reused, not a third made');
});

test('Recreate stops every old pod before starting a new one', async (t) => {
  const w = await startWorkloads(t);
  const strategy = { type: 'Recreate' };
  await w.cluster.api.create(deploymentKind, 'default', deploymentManifest('web', 'a', { replicas: 2, strategy }));
  await eventually(() => rolledOut(w, 'web', 2), 'the first rollout');
  const overlaps: string[] = [];
  w.informers.pods.on({
    added: (pod: KubeObject) => {
      const old = (w.informers.pods.list('default') as Pod[]).filter((p) => p.metadata.labels?.version === 'a');
      if (pod.metadata.labels?.version === 'b' && old.length > 0) overlaps.push(pod.metadata.name!);
    },
  });
  await updateTemplate(w, 'web', (d) => {
    d.spec.template.metadata!.labels!.version = 'b';
  });
  await eventually(() => rolledOut(w, 'web', 2), 'the recreate rollout');
  assert.deepEqual(overlaps, []);
  assert.ok(livePods(w).every((p) => p.metadata.labels?.version === 'b'));
});

test('a paused Deployment does not roll out a new template but still scales', async (t) => {
  const w = await startWorkloads(t);
  await w.cluster.api.create(deploymentKind, 'default', deploymentManifest('web', 'a', { replicas: 2 }));
  await eventually(() => rolledOut(w, 'web', 2), 'the first rollout');
  await updateTemplate(w, 'web', (d) => {
    d.spec.paused = true;
    d.spec.replicas = 4;
    d.spec.template.metadata!.labels!.version = 'b';
  });
  await eventually(
    () => livePods(w).filter(isPodReady).length === 4 && getCondition(deploymentOf(w, 'web')?.status, 'Progressing')?.reason === 'DeploymentPaused',
    'the paused deployment to scale to 4',
  );
  assert.ok(livePods(w).every((p) => p.metadata.labels?.version === 'a'));
  assert.equal(replicaSetsOf(w).length, 1);
  await updateTemplate(w, 'web', (d) => {
    d.spec.paused = false;
  });
  await eventually(() => rolledOut(w, 'web', 4) && livePods(w).every((p) => p.metadata.labels?.version === 'b'), 'the rollout after resuming');
});

test('a deleted pod of a ReplicaSet is replaced', async (t) => {
  const w = await startWorkloads(t);
  await w.cluster.api.create(replicaSetKind, 'default', {
    metadata: { name: 'rs' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'rs' } },
      template: { metadata: { labels: { app: 'rs' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  });
  const ready = (n: number) => {
    const rs = w.informers.replicaSets.get('default', 'rs') as ReplicaSet | undefined;
    return rs?.status?.readyReplicas === n && rs.status.replicas === n && livePods(w).length === n;
  };
  await eventually(() => ready(2), 'two ready pods');
  const [victim] = livePods(w);
  await w.cluster.api.delete(podKind, 'default', victim!.metadata.name!);
  await eventually(() => ready(2) && !livePods(w).some((p) => p.metadata.uid === victim!.metadata.uid), 'a replacement');
  assert.equal(livePods(w).length, 2);
});
