/**
 * The kubectl-like verbs against a real marinad, whose controllers (deployment, replicaset, garbage
 * collector) act on what the CLI writes; no node agent runs, so pods stay Pending and the rollouts the
 * tests follow are of Deployments with 0 replicas. Also the HTTP ResourceClient the verbs are built on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HttpResourceClient } from '../src/cluster/apiserver/http-resource-client.ts';
import type { ObjectEvent } from '../src/cluster/apiserver/resource-service.ts';
import { kindByName } from '../src/cluster/resources/registry.ts';
import { isMarinaError } from '../src/errors.ts';
import { eventually, marinaBin, useDaemon } from './harness.ts';

// No node agent: these pods are only scheduled, never run (and their untagged busybox would be pulled).
const d = useDaemon({ seedBusybox: false, args: ['--no-agent'] });
const dir = mkdtempSync(join(tmpdir(), 'marina-cli-manifests-'));
let clientOpen: HttpResourceClient | undefined;
const client = () => (clientOpen ??= new HttpResourceClient(`unix://${d.socket}`));
after(() => {
  clientOpen?.close();
  rmSync(dir, { recursive: true, force: true });
});

const deployments = kindByName('deployments');
const replicaSets = kindByName('replicasets');

function deploymentYaml(name: string, replicas: number, image = 'busybox'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: web, image: ${image}}]
`;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('HttpResourceClient: CRUD, warnings, Status errors as MarinaErrors, selectors and watch over the socket', async () => {
  const api = client();
  const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hc', labels: { tier: 'a' } }, data: { k: 'v' }, extra: 1 };
  const created = await api.create(kindByName('cm'), 'default', body);
  assert.equal(created.object.metadata.name, 'hc');
  assert.ok(created.warnings.some((w) => w.includes('extra')), created.warnings.join());
  await assert.rejects(api.create(kindByName('cm'), 'default', body), (err) => isMarinaError(err, 'Conflict') && err.details?.reason === 'AlreadyExists');
  await assert.rejects(api.get(kindByName('cm'), 'default', 'nope'), (err) => isMarinaError(err, 'NotFound'));
  await assert.rejects(api.create(deployments, 'default', { metadata: { name: 'bad' }, spec: { replicas: -1 } }), (err) => isMarinaError(err, 'Invalid'));
  const stale = { ...created.object, data: { k: 'w' } };
  await api.patch(kindByName('cm'), 'default', 'hc', { data: { k: 'x' } }, { type: 'merge' });
  await assert.rejects(api.update(kindByName('cm'), 'default', 'hc', stale), (err) => isMarinaError(err, 'Conflict'));
  await api.create(kindByName('cm'), 'default', { metadata: { name: 'hc2', labels: { tier: 'b' } } });
  const selected = await api.list(kindByName('cm'), 'default', undefined, { labelSelector: 'tier=b' });
  assert.deepEqual(selected.items.map((o) => o.metadata.name), ['hc2']);
  const filtered = await api.list(kindByName('cm'), undefined, (o) => o.metadata.name === 'hc');
  assert.deepEqual(filtered.items.map((o) => o.metadata.name), ['hc']);
  await assert.rejects(api.list(kindByName('cm'), 'default', undefined, { fieldSelector: 'data.k=x' }), (err) => isMarinaError(err, 'Invalid'));

  const stop = new AbortController();
  const events: ObjectEvent[] = [];
  const watching = (async () => {
    for await (const event of api.watch(kindByName('cm'), 'default', selected.resourceVersion, stop.signal, undefined, { labelSelector: 'tier' })) {
      events.push(event);
      if (events.length === 2) stop.abort();
    }
  })();
  await api.patch(kindByName('cm'), 'default', 'hc2', { data: { n: '1' } }, { type: 'merge' });
  await api.delete(kindByName('cm'), 'default', 'hc');
  await watching;
  assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [
    ['MODIFIED', 'hc2'],
    ['DELETED', 'hc'],
  ]);
  await api.delete(kindByName('cm'), 'default', 'hc2');
});

test('apply: a multi-document file is created, then unchanged, then configured; warnings on stderr', async () => {
  const v1 = file('app.yaml', `${deploymentYaml('web', 2)}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {a: "1"}\nbogus: true\n`);
  const first = await d.marina(['apply', '-f', v1]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, 'deployment.apps/web created\nconfigmap/web-config created\n');
  assert.match(first.stderr, /^Warning: .*bogus/m);
  assert.equal(await d.ok(['apply', '-f', v1]), 'deployment.apps/web unchanged\nconfigmap/web-config unchanged\n');
  const v2 = file('app.yaml', `${deploymentYaml('web', 3)}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {a: "1"}\n`);
  assert.equal(await d.ok(['apply', '-f', v2]), 'deployment.apps/web configured\nconfigmap/web-config unchanged\n');
  assert.equal(((await client().get(deployments, 'default', 'web')).spec as { replicas: number }).replicas, 3);
  const fromStdin = await d.ok(['apply', '-f', '-', '-n', 'kube-public'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'listed' } }] }) });
  assert.equal(fromStdin, 'configmap/listed created\n');
  await client().get(kindByName('cm'), 'kube-public', 'listed');
});

test('apply: an invalid later document writes nothing at all', async () => {
  const before = await client().list(kindByName('cm'), undefined);
  const path = file('bad.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first-ok}\n---\n${deploymentYaml('neg', -1)}`);
  const r = await d.marina(['apply', '-f', path]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /document 2\).*spec\.replicas/);
  assert.equal(r.stdout, '');
  const afterList = await client().list(kindByName('cm'), undefined);
  assert.equal(afterList.resourceVersion, before.resourceVersion);
  await assert.rejects(client().get(kindByName('cm'), 'default', 'first-ok'), (err) => isMarinaError(err, 'NotFound'));
});

test('get: tables, several kinds, -o yaml/json/name, -l, --field-selector, -A, errors per name', async () => {
  const deployed = await d.ok(['deploy', 'busybox', '--name', 'api', '--replicas', '1', '--port', '8080', '-e', 'MODE=prod']);
  assert.equal(deployed, 'deployment.apps/api created\nservice/api created\n');
  assert.match(await d.ok(['get', 'svc', 'api']), /^api\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+8080\/TCP\s+\d+s$/m);
  const table = await d.ok(['get', 'deploy']);
  const lines = table.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
  // No node agent runs the pods: none is ready.
  assert.match(table, /^api\s+0\/1\s+\d+\s+0\s+\d+s$/m);
  assert.match(table, /^web\s+0\/3\s+\d+\s+0\s+\d+s$/m);
  assert.match(await d.ok(['get', 'deploy', '-o', 'wide', '-l', 'app=api']), /^api\s+0\/1\s+\d+\s+0\s+\S+\s+api\s+busybox\s+app=api$/m);
  assert.match(await d.ok(['get', 'pods', '-l', 'app=api', '-o', 'wide']), /^api-\S+\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>$/m);
  assert.equal(await d.ok(['get', 'deploy', '-o', 'name', '--field-selector', 'metadata.name=web']), 'deployment.apps/web\n');
  const json = JSON.parse(await d.ok(['get', 'deploy/api', '-o', 'json']));
  assert.equal(json.kind, 'Deployment');
  assert.deepEqual(json.spec.template.spec.containers[0].env, [{ name: 'MODE', value: 'prod' }]);
  assert.equal(json.spec.template.spec.containers[0].ports[0].containerPort, 8080);
  const yaml = await d.ok(['get', 'deploy', '-o', 'yaml']);
  assert.match(yaml, /^kind: List$/m);
  assert.match(yaml, /^ {6}name: api$/m);
  const both = await d.ok(['get', 'deploy,cm']);
  assert.match(both, /^deployment\.apps\/api\s/m);
  assert.match(both, /^NAME\s+DATA\s+AGE$/m);
  assert.match(both, /^configmap\/web-config\s+1\s/m);
  assert.match(await d.ok(['get', 'ns']), /^kube-public\s+Active\s/m);
  assert.match(await d.ok(['get', 'cm', '-A']), /^kube-public\s+listed\s+0\s/m);
  const empty = await d.marina(['get', 'jobs']);
  assert.deepEqual([empty.code, empty.stdout, empty.stderr], [0, '', 'No resources found in default namespace.\n']);
  const missing = await d.marina(['get', 'deploy', 'api', 'ghost']);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /^api\s/m);
  assert.match(missing.stderr, /Error from server \(NotFound\): deployments\.apps "ghost" not found/);
  const unknown = await d.marina(['get', 'widgets']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown resource type "widgets"/);
});

test('get -w prints the table, then a row per change', async () => {
  const child = spawn(marinaBin, ['get', 'cm', 'web-config', '-w'], { env: { ...process.env, MARINA_HOST: `unix://${d.socket}` } });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await eventually(() => /^web-config\s+1\s/m.test(out), 10_000, 'the first table');
    await client().patch(kindByName('cm'), 'default', 'web-config', { data: { b: '2' } }, { type: 'merge' });
    await eventually(() => /^web-config\s+2\s/m.test(out), 10_000, 'the changed row');
    assert.equal(out.match(/^NAME/gm)?.length, 1, out);
  } finally {
    child.kill('SIGTERM');
  }
});

test('describe shows the fields people read and the Events about the object', async () => {
  const web = await client().get(deployments, 'default', 'web');
  await client().create(kindByName('events'), 'default', {
    metadata: { name: 'web.1' },
    involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default', uid: web.metadata.uid },
    type: 'Normal',
    reason: 'ScalingReplicaSet',
    message: 'Scaled up replica set web-abc to 3',
    source: { component: 'deployment-controller' },
    lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  await client().create(kindByName('events'), 'default', {
    metadata: { name: 'other.1' },
    involvedObject: { kind: 'Deployment', name: 'api', namespace: 'default', uid: 'someone-else' },
    reason: 'NotAboutWeb',
  });
  const text = await d.ok(['describe', 'deploy', 'web']);
  assert.match(text, /^Name:\s+web$/m);
  assert.match(text, /^Replicas:\s+3 desired \| \d+ updated \| \d+ total \| 0 available \| \d+ unavailable$/m);
  assert.match(text, /^StrategyType:\s+RollingUpdate$/m);
  assert.match(text, /^ {3}web:$/m);
  assert.match(text, /^ {5}Image:\s+busybox$/m);
  assert.match(text, /^Events:$/m);
  assert.match(text, /Normal\s+ScalingReplicaSet\s+\d+s\s+deployment-controller\s+Scaled up replica set web-abc to 3/);
  assert.doesNotMatch(text, /NotAboutWeb/);
  assert.match(await d.ok(['describe', 'cm/web-config']), /Events:\s+<none>/);
});

test('scale patches spec.replicas and refuses a negative count', async () => {
  assert.equal(await d.ok(['scale', 'deploy/api', '--replicas', '4']), 'deployment.apps/api scaled\n');
  assert.equal(((await client().get(deployments, 'default', 'api')).spec as { replicas: number }).replicas, 4);
  const negative = await d.marina(['scale', 'deploy/api', '--replicas=-1']);
  assert.equal(negative.code, 1);
  assert.match(negative.stderr, /--replicas must be a whole number of 0 or more/);
  const pod = await d.marina(['scale', 'po/x', '--replicas', '1']);
  assert.match(pod.stderr, /pods are not supported here/);
});

test('rollout: status waits for the controller; history, undo, restart, pause, resume', async () => {
  const v1 = file('roll.yaml', deploymentYaml('roll', 0, 'busybox:one'));
  await d.ok(['apply', '-f', v1]);
  const status = await d.ok(['rollout', 'status', 'deploy/roll']);
  assert.match(status, /deployment "roll" successfully rolled out\n$/);
  await d.ok(['apply', '-f', file('roll.yaml', deploymentYaml('roll', 0, 'busybox:two'))]);
  await d.ok(['rollout', 'status', 'deploy/roll']);
  const history = await eventually(async () => {
    const text = await d.ok(['rollout', 'history', 'deploy/roll']);
    return /^2\s/m.test(text) && text;
  }, 10_000, 'revision 2 in the history');
  assert.match(history, /^deployment\.apps\/roll\nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n$/);

  assert.equal(await d.ok(['rollout', 'pause', 'deploy/roll']), 'deployment.apps/roll paused\n');
  const again = await d.marina(['rollout', 'pause', 'deploy/roll']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already paused/);
  assert.match((await d.marina(['rollout', 'undo', 'deploy/roll'])).stderr, /cannot rollback a paused deployment/);
  assert.equal(await d.ok(['rollout', 'resume', 'deploy/roll']), 'deployment.apps/roll resumed\n');
  assert.equal(((await client().get(deployments, 'default', 'roll')).spec as { paused?: boolean }).paused, false);

  assert.equal(await d.ok(['rollout', 'undo', 'deploy/roll']), 'deployment.apps/roll rolled back\n');
  const rolledBack = (await client().get(deployments, 'default', 'roll')).spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } } };
  assert.equal(rolledBack.template.spec.containers[0]!.image, 'busybox:one');
  assert.equal(rolledBack.template.metadata.labels['pod-template-hash'], undefined);
  const noSuch = await d.marina(['rollout', 'undo', 'deploy/roll', '--to-revision', '9']);
  assert.match(noSuch.stderr, /unable to find specified revision 9/);

  assert.equal(await d.ok(['rollout', 'restart', 'deploy/roll']), 'deployment.apps/roll restarted\n');
  const restarted = (await client().get(deployments, 'default', 'roll')).spec as { template: { metadata: { annotations?: Record<string, string> } } };
  assert.match(restarted.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.match((await d.marina(['rollout', 'status', 'po/x'])).stderr, /pods are not supported here/);
});

test('delete: cascades foreground (with --wait) and orphan, -f, and not-found errors', async () => {
  const ownedBy = async (name: string) => {
    const uid = (await client().get(deployments, 'default', name)).metadata.uid;
    return async () => (await client().list(replicaSets, 'default')).items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === uid));
  };
  const webReplicaSets = await ownedBy('web');
  await eventually(async () => (await webReplicaSets()).length > 0, 10_000, "web's ReplicaSet");
  assert.equal(await d.ok(['delete', 'deploy', 'web', '--cascade=foreground', '--wait']), 'deployment.apps "web" deleted\n');
  await assert.rejects(client().get(deployments, 'default', 'web'), (err) => isMarinaError(err, 'NotFound'));
  // Foreground: the owner is gone only once what it owned is.
  assert.deepEqual(await webReplicaSets(), []);

  const apiReplicaSets = await ownedBy('api');
  const [kept] = await eventually(async () => {
    const found = await apiReplicaSets();
    return found.length > 0 && found;
  }, 10_000, "api's ReplicaSet");
  assert.equal(await d.ok(['delete', 'deploy/api', '--cascade=orphan', '--wait']), 'deployment.apps "api" deleted\n');
  const orphan = await client().get(replicaSets, 'default', kept!.metadata.name!);
  assert.equal(orphan.metadata.ownerReferences?.length ?? 0, 0);
  await d.ok(['delete', 'rs', kept!.metadata.name!]);

  assert.equal(await d.ok(['delete', '-f', join(dir, 'app.yaml'), '--ignore-not-found']), 'configmap "web-config" deleted\n');
  const missing = await d.marina(['delete', 'cm', 'web-config']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error from server \(NotFound\): configmaps "web-config" not found/);
  assert.match((await d.marina(['delete', 'deploy', 'x', '--cascade=sideways'])).stderr, /--cascade must be/);
});

test('get svc shows the allocated cluster IP and ports; its EndpointSlice is listed', async () => {
  const manifest = [
    'apiVersion: v1',
    'kind: Service',
    'metadata: { name: tables }',
    'spec:',
    '  selector: { app: tables }',
    '  ports: [{ name: http, port: 80, targetPort: 8080 }]',
  ].join('\n');
  assert.match(await d.ok(['apply', '-f', '-'], { input: manifest }), /^service\/tables created$/m);
  const table = await d.ok(['get', 'svc', 'tables']);
  assert.match(table, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
  assert.match(table, /^tables\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+$/m);
  const slices = await eventually(async () => {
    const out = await d.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=tables']);
    return /^tables-\S+\s+IPv4/m.test(out) ? out : undefined;
  });
  assert.match(slices, /<unset>/, 'no pod selected yet');
  await d.ok(['delete', 'svc', 'tables']);
});
