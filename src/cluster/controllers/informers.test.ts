import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openTestCluster } from '../apiserver/test-cluster.ts';
import { kindByName } from '../resources/registry.ts';
import { byControllerUid, byNodeName, byOwnerUid, createInformers } from './informers.ts';
import { eventually } from './test-eventually.ts';

const pods = kindByName('pods');
const replicaSets = kindByName('replicasets');

const podSpec = { containers: [{ name: 'c', image: 'busybox' }] };

test('one informer per kind, indexing pods by controller, by any owner and by node', async (t) => {
  const cluster = await openTestCluster();
  const abort = new AbortController();
  t.after(async () => {
    abort.abort();
    await cluster.dispose();
  });
  const informers = createInformers(cluster.api, { retryDelayMs: 10 });
  const running = informers.run(abort.signal);
  t.after(() => running);
  await informers.synced();

  const rs = (
    await cluster.api.create(replicaSets, 'default', {
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec } },
    })
  ).object;
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid! };
  await cluster.api.create(pods, 'default', {
    metadata: { name: 'controlled', ownerReferences: [{ ...owner, controller: true }] },
    spec: { ...podSpec, nodeName: 'n1' },
  });
  await cluster.api.create(pods, 'default', {
    metadata: { name: 'merely-owned', ownerReferences: [owner] },
    spec: podSpec,
  });

  await eventually(() => informers.pods.list().length === 2, 'both pods in the cache');
  const names = (list: { metadata: { name?: string } }[]) => list.map((o) => o.metadata.name).sort();
  assert.deepEqual(names(informers.pods.byIndex(byControllerUid, rs.metadata.uid!)), ['controlled']);
  assert.deepEqual(names(informers.pods.byIndex(byOwnerUid, rs.metadata.uid!)), ['controlled', 'merely-owned']);
  assert.deepEqual(names(informers.pods.byIndex(byNodeName, 'n1')), ['controlled']);
  assert.deepEqual(names(informers.replicaSets.list('default')), ['web']);
  assert.equal(informers.deployments.list().length, 0);
});
