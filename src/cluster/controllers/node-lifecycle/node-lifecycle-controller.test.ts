import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '../../resources/core-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import { controllerFixture } from '../test-controllers.ts';
import { eventually } from '../test-eventually.ts';
import {
  NodeLifecycleController,
  nodeLeaseInformer,
} from './node-lifecycle-controller.ts';
import { nodeLeaseNamespace } from '../../resources/coordination-schemas.ts';
import { unreachableTaintKey } from '../../resources/tolerations.ts';

const nodes = kindByName('nodes');
const leases = kindByName('leases');
const pods = kindByName('pods');

test('a node whose lease stops being renewed is tainted, loses its pods, and recovers when renewed', async (t) => {
  let now = new Date('2026-01-01T00:00:00Z');
  const f = await controllerFixture(t, () => now);
  const api = f.cluster.api;
  await api.ensureNamespaces(kindByName('namespaces'), [nodeLeaseNamespace]);
  const leaseInformer = nodeLeaseInformer(api);
  const running = leaseInformer.run(f.signal);
  t.after(() => running);
  const controller = new NodeLifecycleController({
    client: api,
    informers: f.informers,
    leases: leaseInformer,
    events: f.events,
    logger: f.logger,
    now: () => now,
    timing: { gracePeriodMs: 40_000, defaultTolerationSeconds: 0 },
  });
  f.run(controller);

  await api.create(nodes, undefined, {
    metadata: { name: 'n1' },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const renew = async () => {
    const lease = await api.get(leases, nodeLeaseNamespace, 'n1').catch(() => undefined);
    const body = {
      metadata: { name: 'n1' },
      spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: now.toISOString() },
    };
    if (lease) await api.update(leases, nodeLeaseNamespace, 'n1', { ...lease, spec: body.spec });
    else await api.create(leases, nodeLeaseNamespace, body);
  };
  await renew();
  const podSpec = { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'n1' };
  await api.create(pods, 'default', { metadata: { name: 'evicted' }, spec: podSpec });
  await api.create(pods, 'default', {
    metadata: { name: 'tolerant' },
    spec: { ...podSpec, tolerations: [{ operator: 'Exists' }] },
  });

  now = new Date('2026-01-01T00:01:00Z');
  controller.queue.add('n1');
  const tainted = await eventually(async () => {
    const node = (await api.get(nodes, undefined, 'n1')) as Node;
    return (node.spec?.taints?.length ?? 0) === 2 && node;
  }, 'the unreachable taints');
  assert.deepEqual(tainted.spec?.taints?.map((taint) => `${taint.key}:${taint.effect}`).sort(), [
    `${unreachableTaintKey}:NoExecute`,
    `${unreachableTaintKey}:NoSchedule`,
  ]);
  const ready = await eventually(async () => {
    const node = (await api.get(nodes, undefined, 'n1')) as Node;
    return node.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'Unknown');
  }, 'Ready=Unknown');
  assert.equal(ready.reason, 'NodeStatusUnknown');
  await eventually(
    async () => (await api.get(pods, 'default', 'evicted')).metadata.deletionTimestamp,
    'the intolerant pod evicted',
  );
  assert.equal((await api.get(pods, 'default', 'tolerant')).metadata.deletionTimestamp, undefined);

  await renew();
  await eventually(
    async () => ((await api.get(nodes, undefined, 'n1')) as Node).spec?.taints?.length === 0,
    'the taints removed',
  );
});
