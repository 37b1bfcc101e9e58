import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import { renderTable, shortAge, tableOf, watchRow } from './cluster-tables.ts';

const now = Date.parse('2025-01-01T12:00:00Z');
const created = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();

const pod = (name: string, status: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', creationTimestamp: created(90), ...extra },
  spec: { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'node-1' },
  status,
});

test("kubectl's ages", () => {
  assert.deepEqual([0, 45, 119, 125, 600, 7200, 3 * 3600 + 60, 5 * 3600 + 120, 30 * 3600, 3 * 86400 + 3600, 40 * 86400, 800 * 86400].map(shortAge), [
    '0s', '45s', '119s', '2m5s', '10m', '120m', '3h1m', '5h2m', '30h', '3d1h', '40d', '2y70d',
  ]);
});

test('pods: READY, STATUS from the containers, RESTARTS, AGE; wide adds IP and NODE; -A the namespace', () => {
  const running = pod('web', {
    phase: 'Running',
    podIP: '10.0.0.5',
    containerStatuses: [
      { name: 'a', ready: true, restartCount: 2, image: 'x', state: { running: {} } },
      { name: 'b', ready: false, restartCount: 1, image: 'x', state: { waiting: { reason: 'CrashLoopBackOff' } } },
    ],
  });
  const deleting = pod('old', { phase: 'Running' }, { deletionTimestamp: created(1) });
  const table = tableOf('Pod', [running, deleting], { now, wide: true });
  assert.deepEqual(table.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
  assert.deepEqual(table.rows, [
    ['web', '1/2', 'CrashLoopBackOff', '3', '90s', '10.0.0.5', 'node-1'],
    ['old', '0/2', 'Terminating', '0', '90s', '<none>', 'node-1'],
  ]);
  const all = tableOf('Pod', [running], { now, allNamespaces: true });
  assert.deepEqual(all.header, ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.equal(all.rows[0]![0], 'default');
  assert.equal(renderTable(all).split('\n')[0], 'NAMESPACE   NAME   READY   STATUS             RESTARTS   AGE');
});

test('deployments, jobs, cronjobs, nodes, secrets and events have their own columns', () => {
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', creationTimestamp: created(10) },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'busybox' }] } } },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(tableOf('Deployment', [deployment], { now, wide: true }).rows, [['web', '2/3', '3', '2', '10s', 'web', 'busybox', 'app=web']]);
  assert.deepEqual(tableOf('Deployment', [deployment], { now, qualifiedNames: 'deployment.apps' }).rows[0]![0], 'deployment.apps/web');
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', creationTimestamp: created(300) },
    spec: { completions: 3, template: { spec: { containers: [] } } },
    status: { succeeded: 1, startTime: created(200), completionTime: created(100) },
  };
  assert.deepEqual(tableOf('Job', [job], { now }).rows, [['j', '1/3', '100s', '5m']]);
  const cronJob: KubeObject = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', creationTimestamp: created(5) }, spec: { schedule: '*/5 * * * *' } };
  assert.deepEqual(tableOf('CronJob', [cronJob], { now }).rows, [['c', '*/5 * * * *', 'false', '0', '<none>', '5s']]);
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', creationTimestamp: created(5), labels: { 'node-role.kubernetes.io/control-plane': '' } },
    spec: { unschedulable: true },
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'marina-0.1' } },
  };
  assert.deepEqual(tableOf('Node', [node], { now }).rows, [['n1', 'Ready,SchedulingDisabled', 'control-plane', '5s', 'marina-0.1']]);
  const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', creationTimestamp: created(5) }, data: { a: 'eA==', b: 'eQ==' } };
  assert.deepEqual(tableOf('Secret', [secret], { now }).rows, [['s', 'Opaque', '2', '5s']]);
  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e', namespace: 'default' },
    involvedObject: { kind: 'Deployment', name: 'web' },
    type: 'Normal',
    reason: 'ScalingReplicaSet',
    message: 'Scaled up',
    lastTimestamp: created(30),
  };
  assert.deepEqual(tableOf('Event', [event], { now }), {
    header: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    rows: [['30s', 'Normal', 'ScalingReplicaSet', 'deployment/web', 'Scaled up']],
  });
});

test('watch rows line up with the first table', () => {
  const first = { header: ['NAME', 'READY', 'AGE'], rows: [['web', '1/1', '5s']] };
  assert.equal(watchRow(first, ['a', '0/1', '1s']), 'a      0/1     1s');
});

test('services show TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S) with node ports; slices their endpoints', () => {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { type: 'NodePort', clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] },
  } as unknown as KubeObject;
  const table = tableOf('Service', [service], { now: Date.parse('2026-01-01T00:01:00Z'), wide: true });
  assert.deepEqual(table.header, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
  assert.deepEqual(table.rows[0], ['web', 'NodePort', '10.96.0.10', '<none>', '80:30080/TCP,53/UDP', '60s', 'app=web']);
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', creationTimestamp: '2026-01-01T00:00:00Z' },
    addressType: 'IPv4',
    ports: [{ port: 8080 }],
    endpoints: ['10.88.0.2', '10.88.0.3', '10.88.0.4', '10.88.0.5'].map((ip) => ({ addresses: [ip] })),
  } as unknown as KubeObject;
  const slices = tableOf('EndpointSlice', [slice], { now: Date.parse('2026-01-01T00:01:00Z') });
  assert.deepEqual(slices.rows[0], ['web-abc', 'IPv4', '8080', '10.88.0.2,10.88.0.3,10.88.0.4 + 1 more...', '60s']);
});
