import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import { newControllerRef } from '../../resources/owner-references.ts';
import { kindByName } from '../../resources/registry.ts';
import { controllerFixture } from '../test-controllers.ts';
import { eventually } from '../test-eventually.ts';
import { GarbageCollector, ownedInformer } from './garbage-collector.ts';

const replicaSets = kindByName('replicasets');
const pods = kindByName('pods');
const configMaps = kindByName('configmaps');
const podSpec = { containers: [{ name: 'c', image: 'busybox' }] };

async function start(t: TestContext) {
  const f = await controllerFixture(t);
  const extra = ownedInformer(f.cluster.api, configMaps);
  const running = extra.run(f.signal);
  t.after(() => running);
  const { pods: p, replicaSets: rs, deployments, jobs, cronJobs } = f.informers;
  f.run(
    new GarbageCollector({
      client: f.cluster.api,
      informers: [p, rs, deployments, jobs, cronJobs, extra],
      logger: f.logger,
    }),
  );
  const { object: owner } = await f.cluster.api.create(replicaSets, 'default', {
    metadata: { name: 'web' },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
    },
  });
  const owned = async (name: string, extraSpec: Record<string, unknown> = {}) =>
    (
      await f.cluster.api.create(pods, 'default', {
        metadata: { name, labels: { app: 'web' }, ownerReferences: [newControllerRef(owner)] },
        spec: { ...podSpec, ...extraSpec },
      })
    ).object;
  return { f, owner, owned };
}

const names = async (f: Awaited<ReturnType<typeof start>>['f']) =>
  (await f.cluster.api.list(pods, 'default')).items.map((p) => p.metadata.name).sort();

test('background: pods whose ReplicaSet is gone are deleted; pods of a live owner are not', async (t) => {
  const { f, owned } = await start(t);
  await owned('a');
  await owned('b');
  await f.cluster.api.create(pods, 'default', { metadata: { name: 'standalone' }, spec: podSpec });
  await f.cluster.api.delete(replicaSets, 'default', 'web');
  await eventually(async () => (await names(f)).join() === 'standalone', 'owned pods collected');
});

test('foreground: the ReplicaSet waits for its pods (a terminating one included), then goes', async (t) => {
  const { f, owned } = await start(t);
  await owned('quick');
  await owned('scheduled', { nodeName: 'n1' });
  await f.cluster.api.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Foreground' });
  const terminating = await eventually(async () => {
    const list = (await f.cluster.api.list(pods, 'default')).items;
    return list.length === 1 && list[0]!.metadata.deletionTimestamp !== undefined && list[0];
  }, 'the unscheduled pod gone, the scheduled one terminating');
  assert.equal(terminating.metadata.name, 'scheduled');
  const rs = await f.cluster.api.get(replicaSets, 'default', 'web');
  assert.deepEqual(rs.metadata.finalizers, ['foregroundDeletion'], 'the owner waits');

  await f.cluster.api.delete(pods, 'default', 'scheduled', { gracePeriodSeconds: 0 }); // the node agent's part
  await eventually(
    async () => (await f.cluster.api.list(replicaSets, 'default')).items.length === 0,
    'the owner removed',
  );
});

test('orphan: pods lose their owner reference and stay; the ReplicaSet goes', async (t) => {
  const { f, owned } = await start(t);
  await owned('keep');
  await f.cluster.api.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Orphan' });
  await eventually(
    async () => (await f.cluster.api.list(replicaSets, 'default')).items.length === 0,
    'the owner removed',
  );
  const pod = await f.cluster.api.get(pods, 'default', 'keep');
  assert.equal(pod.metadata.ownerReferences, undefined);
});

test('any kind: a ConfigMap with one gone owner of two keeps the live one; with none left it is deleted', async (t) => {
  const { f, owner } = await start(t);
  const gone: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'old', uid: 'no-such-uid' },
  };
  await f.cluster.api.create(configMaps, 'default', {
    metadata: {
      name: 'cfg',
      ownerReferences: [newControllerRef(gone), { ...newControllerRef(owner), controller: false }],
    },
  });
  await eventually(async () => {
    const cm = await f.cluster.api.get(configMaps, 'default', 'cfg');
    return (
      cm.metadata.ownerReferences?.length === 1 && cm.metadata.ownerReferences[0]!.uid === owner.metadata.uid
    );
  }, 'the dangling reference removed');
  await f.cluster.api.delete(replicaSets, 'default', 'web');
  await eventually(
    async () => (await f.cluster.api.list(configMaps, 'default')).items.length === 0,
    'the ConfigMap collected',
  );
});
