import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../apiserver/api-kind.ts';
import { controllerFixture } from '../controllers/test-controllers.ts';
import { eventually } from '../controllers/test-eventually.ts';
import { kindByName } from '../resources/registry.ts';
import { SchedulerLoop } from './scheduler-loop.ts';

const pods = kindByName('pod');
const nodes = kindByName('node');

const node = (name: string, cpu: string) => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { allocatable: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});

const pod = (name: string, cpu: string) => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }] },
});

test('pods are bound to nodes with room; one that fits nowhere is reported and bound once a node fits', async (t) => {
  const f = await controllerFixture(t);
  const api = f.cluster.api;
  const nodeObject = await api.create(nodes, undefined, node('small', '1'));
  await api.updateStatus(nodes, undefined, 'small', { ...nodeObject.object, status: node('small', '1').status });
  const loop = new SchedulerLoop({
    client: api,
    pods: f.informers.pods,
    nodes: f.informers.nodes,
    events: f.events,
    logger: f.logger,
    queue: { initialBackoffMs: 10, maxBackoffMs: 20 },
  });
  const running = loop.run(f.signal);
  t.after(() => running);

  for (const name of ['a', 'b']) await api.create(pods, 'default', pod(name, '400m'));
  await api.create(pods, 'default', pod('big', '2'));
  const bound = await eventually(async () => {
    const list = await api.list(pods, 'default');
    const names = list.items.filter((p) => (p.spec as { nodeName?: string }).nodeName === 'small').map((p) => p.metadata.name);
    return names.length === 2 ? names.sort() : undefined;
  }, 'a and b bound to small');
  assert.deepEqual(bound, ['a', 'b']);

  const reported = await eventually(async () => {
    const big = await api.get(pods, 'default', 'big');
    const status = big.status as { conditions?: { type: string; reason?: string; message?: string }[] } | undefined;
    const conditions = status?.conditions ?? [];
    return conditions.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable');
  }, 'big marked unschedulable');
  assert.equal(reported.message, '0/1 nodes are available: 1 Insufficient cpu.');
  assert.ok(f.events.recorded.some((e) => e.object === 'Pod/big' && e.reason === 'FailedScheduling'));
  assert.ok(f.events.recorded.some((e) => e.object === 'Pod/a' && e.reason === 'Scheduled'));

  const large = await api.create(nodes, undefined, node('large', '4'));
  await api.updateStatus(nodes, undefined, 'large', { ...large.object, status: node('large', '4').status } as KubeObject);
  const placed = await eventually(async () => ((await api.get(pods, 'default', 'big')).spec as { nodeName?: string }).nodeName, 'big bound');
  assert.equal(placed, 'large');
});
