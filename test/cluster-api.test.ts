/**
 * The control plane's Kubernetes-style API in a real marinad, over its socket with plain HTTP: CRUD with
 * admission (defaults, validation with field paths, warnings), optimistic concurrency, merge and JSON
 * patches, the status subresource, selectors, watch streams, discovery and Kubernetes' Status errors.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { clusterApi, type Json } from './cluster-helpers.ts';
import { useDaemon } from './harness.ts';

// No node agent: these pods are only scheduled, never run (and their untagged busybox would be pulled).
const d = useDaemon({ args: ['--no-agent'] });

const { kube } = clusterApi(d);

/** Reads a watch stream's lines until `count` events have arrived. */
function watchEvents(path: string, count: number): { events: Promise<{ type: string; object: Json }[]>; stop(): void } {
  let stop = () => {};
  const events = new Promise<{ type: string; object: Json }[]>((resolve, reject) => {
    const seen: { type: string; object: Json }[] = [];
    const req = request({ socketPath: d.socket, path }, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          seen.push(JSON.parse(buffered.slice(0, newline)));
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
        }
        if (seen.length >= count) {
          resolve(seen);
          req.destroy();
        }
      });
      res.on('end', () => resolve(seen));
    });
    req.on('error', (err) => (seen.length >= count ? undefined : reject(err)));
    req.end();
    stop = () => req.destroy();
  });
  return { events, stop };
}

const deployment = (name: string, replicas = 2) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'busybox', command: ['httpd', '-f'] }] } },
  },
});

test('discovery lists the served groups and resources', async () => {
  const api = await kube('GET', '/api');
  assert.deepEqual(api.body.versions, ['v1']);
  const groups = (await kube('GET', '/apis')).body.groups as { name: string }[];
  assert.deepEqual(groups.map((g) => g.name).sort(), ['apps', 'batch', 'coordination.k8s.io', 'discovery.k8s.io']);
  const apps = (await kube('GET', '/apis/apps/v1')).body.resources as { name: string; namespaced: boolean }[];
  assert.ok(apps.some((r) => r.name === 'deployments' && r.namespaced));
  assert.ok(apps.some((r) => r.name === 'deployments/status'));
  const core = (await kube('GET', '/api/v1')).body.resources as { name: string; namespaced: boolean }[];
  assert.ok(core.some((r) => r.name === 'nodes' && !r.namespaced));
  const namespaces = (await kube('GET', '/api/v1/namespaces')).body.items as { metadata: { name: string } }[];
  assert.deepEqual(namespaces.map((n) => n.metadata.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
});

test('create defaults and stores; get, list with a label selector; unknown fields are named in a warning', async () => {
  const body = deployment('web');
  (body.spec as Record<string, unknown>).replicaz = 4;
  const created = await kube('POST', '/apis/apps/v1/namespaces/default/deployments', body);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const object = created.body;
  assert.equal(object.spec.strategy.type, 'RollingUpdate');
  assert.equal(object.spec.revisionHistoryLimit, 10);
  assert.equal(object.metadata.generation, 1);
  assert.match(object.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.match(String(created.headers.warning), /replicaz/);
  const got = await kube('GET', '/apis/apps/v1/namespaces/default/deployments/web');
  assert.deepEqual([got.body.metadata.uid, got.body.spec], [object.metadata.uid, object.spec], 'the controllers write only status');
  await kube('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('api'));
  const selected = await kube('GET', '/apis/apps/v1/namespaces/default/deployments?labelSelector=app%20in%20(web)');
  assert.equal(selected.body.kind, 'DeploymentList');
  assert.deepEqual((selected.body.items as Json[]).map((i) => i.metadata.name), ['web']);
  const byName = await kube('GET', '/apis/apps/v1/deployments?fieldSelector=metadata.name%3Dapi');
  assert.deepEqual((byName.body.items as Json[]).map((i) => i.metadata.name), ['api']);
});

test('bad input: Status objects with Kubernetes reasons and codes; nothing is written', async () => {
  const before = (await kube('GET', '/apis/apps/v1/namespaces/default/deployments')).body.metadata as { resourceVersion: string };
  const negative = await kube('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('neg', -1));
  assert.equal(negative.status, 422);
  assert.equal(negative.body.kind, 'Status');
  assert.equal(negative.body.reason, 'Invalid');
  assert.match(String(negative.body.message), /spec\.replicas: Invalid value: -1/);
  const mismatch = deployment('mismatch');
  mismatch.spec.selector.matchLabels.app = 'other';
  const refused = await kube('POST', '/apis/apps/v1/namespaces/default/deployments', mismatch);
  assert.equal(refused.status, 422);
  assert.match(String(refused.body.message), /selector/);
  const missing = await kube('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
  assert.deepEqual([missing.status, missing.body.reason], [404, 'NotFound']);
  const unknown = await kube('GET', '/apis/apps/v1/namespaces/default/widgets');
  assert.equal(unknown.status, 404);
  const noNamespace = await kube('POST', '/apis/apps/v1/namespaces/ghost/deployments', deployment('x'));
  assert.equal(noNamespace.status, 404);
  const after = (await kube('GET', '/apis/apps/v1/namespaces/default/deployments')).body.metadata as { resourceVersion: string };
  assert.equal(after.resourceVersion, before.resourceVersion);
  await kube('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('dup'));
  const duplicate = await kube('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('dup'));
  assert.deepEqual([duplicate.status, duplicate.body.reason], [409, 'AlreadyExists']);
});

test('update with a stale resourceVersion is 409; merge and JSON patches; the status subresource', async () => {
  const created = (await kube('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('rv'))).body;
  const scaled = await kube('PATCH', '/apis/apps/v1/namespaces/default/deployments/rv', { spec: { replicas: 5 } }, 'application/merge-patch+json');
  assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
  assert.equal(scaled.body.spec.replicas, 5);
  assert.equal(scaled.body.metadata.generation, 2);
  const stale = await kube('PUT', '/apis/apps/v1/namespaces/default/deployments/rv', created);
  assert.deepEqual([stale.status, stale.body.reason], [409, 'Conflict']);
  const json = await kube('PATCH', '/apis/apps/v1/namespaces/default/deployments/rv', [{ op: 'replace', path: '/spec/replicas', value: 1 }], 'application/json-patch+json');
  assert.equal(json.body.spec.replicas, 1);
  // A Node's status has no controller writing it while its lease is young: the subresource is observable.
  const node = await kube('POST', '/api/v1/nodes', { metadata: { name: 'status-node' } });
  assert.equal(node.status, 201, JSON.stringify(node.body));
  const status = await kube('PATCH', '/api/v1/nodes/status-node/status', { status: { allocatable: { cpu: '2' } } }, 'application/merge-patch+json');
  assert.equal(status.status, 200, JSON.stringify(status.body));
  assert.equal(status.body.status.allocatable.cpu, '2');
  const ignored = await kube('PATCH', '/api/v1/nodes/status-node', { status: { allocatable: { cpu: '9' } } }, 'application/merge-patch+json');
  assert.equal(ignored.body.status.allocatable.cpu, '2', 'the main resource does not write status');
  const pod = await kube('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'to-bind' }, spec: { nodeSelector: { none: 'x' }, containers: [{ name: 'c', image: 'busybox' }] } });
  assert.equal(pod.status, 201, JSON.stringify(pod.body));
  const binding = await kube('POST', '/api/v1/namespaces/default/pods/to-bind/binding', { apiVersion: 'v1', kind: 'Binding', target: { name: 'status-node' } });
  assert.equal(binding.status, 201, JSON.stringify(binding.body));
  assert.equal(binding.body.spec.nodeName, 'status-node');
  const again = await kube('POST', '/api/v1/namespaces/default/pods/to-bind/binding', { target: { name: 'other' } });
  assert.deepEqual([again.status, again.body.reason], [409, 'Conflict']);
  const apply = await kube('PATCH', '/apis/apps/v1/namespaces/default/deployments/rv', {}, 'application/apply-patch+yaml');
  assert.equal(apply.status, 405);
});

test('watch streams ADDED/MODIFIED/DELETED from a list version; without one, the current objects first', async () => {
  await kube('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'first' }, data: { a: '1' } });
  const list = (await kube('GET', '/api/v1/namespaces/default/configmaps')).body.metadata as { resourceVersion: string };
  const fromList = watchEvents(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.resourceVersion}`, 3);
  const fromNow = watchEvents('/api/v1/namespaces/default/configmaps?watch=1', 2);
  await new Promise((r) => setTimeout(r, 200));
  await kube('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'second' }, data: { b: '2' } });
  await kube('PATCH', '/api/v1/namespaces/default/configmaps/second', { data: { b: '3' } }, 'application/merge-patch+json');
  await kube('DELETE', '/api/v1/namespaces/default/configmaps/second');
  const events = await fromList.events;
  assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED second', 'MODIFIED second', 'DELETED second']);
  assert.equal(events[1]!.object.data.b, '3');
  const initial = await fromNow.events;
  assert.deepEqual(initial.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED first', 'ADDED second']);
});

test('delete: an object with a finalizer is marked until the finalizer is removed; objects survive kill -9 of marinad', async () => {
  await kube('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 's' }, stringData: { password: 'x' } });
  const secret = (await kube('GET', '/api/v1/namespaces/default/secrets/s')).body;
  assert.equal(secret.data.password, Buffer.from('x').toString('base64'));
  assert.equal(secret.type, 'Opaque');
  await kube('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
  const marked = await kube('DELETE', '/api/v1/namespaces/default/configmaps/held');
  assert.ok(marked.body.metadata.deletionTimestamp);
  assert.equal((await kube('GET', '/api/v1/namespaces/default/configmaps/held')).status, 200);
  await kube('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: null } }, 'application/merge-patch+json');
  assert.equal((await kube('GET', '/api/v1/namespaces/default/configmaps/held')).status, 404);

  d.kill9();
  await d.start();
  const again = await kube('GET', '/api/v1/namespaces/default/secrets/s');
  assert.equal(again.status, 200);
  assert.equal(again.body.metadata.uid, secret.metadata.uid);
});

test('marinad runs the controllers and the scheduler: a Deployment gets a ReplicaSet whose pods are bound to a node', async () => {
  const node = { metadata: { name: 'hollow-1' }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } };
  const created = await kube('POST', '/api/v1/nodes', node);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await kube('PUT', '/api/v1/nodes/hollow-1/status', { ...created.body, status: node.status });
  await kube('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('wired', 3));
  const deadline = Date.now() + 20_000;
  let pods: Json[] = [];
  while (Date.now() < deadline) {
    pods = (await kube('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dwired')).body.items;
    if (pods.length === 3 && pods.every((p: Json) => p.spec.nodeName === 'hollow-1')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(pods.map((p: Json) => p.spec.nodeName), ['hollow-1', 'hollow-1', 'hollow-1']);
  const replicaSets = (await kube('GET', '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dwired')).body.items as Json[];
  assert.equal(replicaSets.length, 1);
  assert.equal(pods[0].metadata.ownerReferences[0].uid, replicaSets[0].metadata.uid);

  await kube('DELETE', '/apis/apps/v1/namespaces/default/deployments/wired', { propagationPolicy: 'Background' });
  while (Date.now() < deadline + 20_000) {
    const left = (await kube('GET', '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dwired')).body.items as Json[];
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual((await kube('GET', '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dwired')).body.items, []);
});

test('a Service gets a cluster IP from the range and its EndpointSlice; bad ports and taken IPs are refused', async () => {
  const service = (name: string, spec: Json) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });
  const created = await kube('POST', '/api/v1/namespaces/default/services', service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const ip = created.body.spec.clusterIP as string;
  assert.match(ip, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/, `${ip} in 10.96.0.0/12`);
  assert.deepEqual(created.body.spec.ports[0], { port: 80, protocol: 'TCP', targetPort: 80 });
  const node = await kube('POST', '/api/v1/namespaces/default/services', service('np', { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] }));
  assert.ok(node.body.spec.ports[0].nodePort >= 30000 && node.body.spec.ports[0].nodePort <= 32767, JSON.stringify(node.body.spec));
  const before = (await kube('GET', '/api/v1/namespaces/default/services')).body.metadata.resourceVersion;
  const duplicate = await kube('POST', '/api/v1/namespaces/default/services', service('dup', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }));
  assert.equal(duplicate.status, 422);
  assert.match(duplicate.body.message, /spec\.ports\[1\]/);
  const outOfRange = await kube('POST', '/api/v1/namespaces/default/services', service('far', { clusterIP: '192.168.0.10', ports: [{ port: 80 }] }));
  assert.equal(outOfRange.status, 422, JSON.stringify(outOfRange.body));
  const taken = await kube('POST', '/api/v1/namespaces/default/services', service('same', { clusterIP: ip, ports: [{ port: 80 }] }));
  assert.ok([409, 422].includes(taken.status), JSON.stringify(taken.body));
  assert.equal((await kube('GET', '/api/v1/namespaces/default/services')).body.metadata.resourceVersion, before, 'nothing written');
  const deadline = Date.now() + 20_000;
  let slices: Json[] = [];
  while (Date.now() < deadline && slices.length === 0) {
    slices = (await kube('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb')).body.items;
    if (slices.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(slices.length, 1);
  assert.equal(slices[0].metadata.ownerReferences[0].uid, created.body.metadata.uid);
});
