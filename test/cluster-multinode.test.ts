/**
 * Two nodes on one host: marinad A runs the control plane and its own node agent (node-a); marinad B is
 * started with `--join` A's socket and runs only its engine and its agent (node-b), which reaches A over
 * HTTP. Each daemon has its own root, bridge and subnet. A Deployment spread over both nodes runs on both;
 * when node B dies its Lease expires, the node lifecycle controller marks it NotReady and taints it, and
 * the pod that ran there is evicted and replaced on node A. Real runc, conmon and namespaces, as root;
 * the seeded busybox with imagePullPolicy IfNotPresent, so nothing is pulled.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HttpResourceClient } from '../src/cluster/apiserver/http-resource-client.ts';
import { kindByName } from '../src/cluster/resources/registry.ts';
import { containsAddress, parseIpv4, parseSubnet } from '../src/network/ipam.ts';
import { conditionStatus, type Json, kubeRequest } from './cluster-helpers.ts';
import { eventually, killContainersOf, startDaemon, type TestDaemon } from './harness.ts';

const pods = kindByName('pods');
const nodes = kindByName('nodes');
const deployments = kindByName('deployments');

let a: TestDaemon | undefined;
let b: TestDaemon | undefined;
let client: HttpResourceClient | undefined;
const api = () => client!;

before(async () => {
  a = await startDaemon({ args: ['--node-name', 'node-a'] });
  b = await startDaemon({ args: ['--node-name', 'node-b', '--join', `unix://${a.socket}`] });
  client = new HttpResourceClient(`unix://${a.socket}`);
});

after(async () => {
  client?.close();
  // B first: A's root is named on B's command line (--join), so A's clean-up would kill B's marinad anyway.
  await b?.destroy();
  await a?.destroy();
});

async function nodeNamed(name: string): Promise<Json | undefined> {
  const { items } = await api().list(nodes);
  return items.find((n) => n.metadata.name === name);
}

/** The pods of the Deployment labelled `app=NAME`. */
async function podsOf(app: string): Promise<Json[]> {
  return (await api().list(pods, 'default', undefined, { labelSelector: `app=${app}` })).items;
}

/** The default network's subnet of a daemon, through its Docker API. */
async function subnetOf(daemon: TestDaemon): Promise<string> {
  const r = await daemon.docker(['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Subnet}}']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

function inSubnet(ip: string, cidr: string): boolean {
  const address = parseIpv4(ip);
  return address !== undefined && containsAddress(parseSubnet(cidr), address);
}

test('the joined marinad registers node-b with the control plane of A and serves no cluster API of its own', async () => {
  for (const name of ['node-a', 'node-b']) {
    await eventually(
      async () => {
        const node = await nodeNamed(name);
        return node && conditionStatus(node, 'Ready') === 'True';
      },
      30_000,
      `${name} Ready in A's control plane`,
    );
  }
  const lease = await api().get(kindByName('leases'), 'kube-node-lease', 'node-b');
  assert.equal((lease as Json).spec.holderIdentity, 'node-b');

  const answer = await kubeRequest(b!.socket, 'GET', '/api/v1/namespaces/default/pods');
  assert.equal(answer.status, 503);
  assert.equal(answer.body.kind, 'Status');
  assert.equal(answer.body.reason, 'ServiceUnavailable');
  assert.ok(answer.body.message.includes(a!.socket), answer.body.message);
  // Its engine's own API is served as always.
  assert.equal((await b!.marina(['--host', `unix://${b!.socket}`, 'version'])).code, 0);
});

test('a spread Deployment runs on both nodes; when node-b dies its pod is replaced on node-a', async () => {
  const labels = { app: 'spread' };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'spread' },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 1,
          // One pod per node: a node may hold at most one more of these than the emptiest node.
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } },
          ],
          // Evicted 2 s after its node becomes unreachable, not after the default 300 s: users shorten it
          // so, and it keeps this test within a minute. The Lease's 40 s are production's, unchanged.
          tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
          containers: [
            {
              name: 'web',
              image: 'busybox',
              imagePullPolicy: 'IfNotPresent',
              command: ['httpd', '-f', '-p', '8080'],
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
  await api().create(deployments, 'default', deployment);
  const running = await eventually(
    async () => {
      const ready = (await podsOf('spread')).filter((p) => conditionStatus(p, 'Ready') === 'True');
      return ready.length === 2 ? ready : undefined;
    },
    60_000,
    'two Ready pods',
  );
  const byNode = new Map(running.map((p) => [p.spec.nodeName as string, p]));
  assert.deepEqual([...byNode.keys()].sort(), ['node-a', 'node-b']);
  // Each pod's IP is on its own node's bridge; the two subnets are apart, so the IPs cannot clash.
  const [subnetA, subnetB] = [await subnetOf(a!), await subnetOf(b!)];
  assert.notEqual(subnetA, subnetB);
  assert.ok(inSubnet(byNode.get('node-a').status.podIP, subnetA), `${byNode.get('node-a').status.podIP} in ${subnetA}`);
  assert.ok(inSubnet(byNode.get('node-b').status.podIP, subnetB), `${byNode.get('node-b').status.podIP} in ${subnetB}`);
  const lost = byNode.get('node-b');

  // Node B dies as a machine does: its marinad, and with it everything it ran. Killing marinad alone would
  // leave its containers serving under conmon — a network partition, not a dead node.
  b!.kill9();
  killContainersOf(b!.root);

  const notReady = await eventually(
    async () => {
      const node = await nodeNamed('node-b');
      const tainted = node?.spec?.taints?.some((t: Json) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
      return node && conditionStatus(node, 'Ready') !== 'True' && tainted ? node : undefined;
    },
    70_000,
    'node-b NotReady and tainted unreachable once its Lease expired',
  );
  assert.equal(conditionStatus(notReady, 'Ready'), 'Unknown');

  const replaced = await eventually(
    async () => {
      const all = await podsOf('spread');
      const evicted = all.find((p) => p.metadata.uid === lost.metadata.uid);
      const ready = all.filter((p) => !p.metadata.deletionTimestamp && conditionStatus(p, 'Ready') === 'True');
      const status = ((await api().get(deployments, 'default', 'spread')) as Json).status;
      const done = (!evicted || evicted.metadata.deletionTimestamp) && ready.length === 2 && status?.readyReplicas === 2;
      return done ? ready : undefined;
    },
    30_000,
    "node-b's pod evicted and replaced, the Deployment back at 2 Ready",
  );
  assert.deepEqual(
    replaced.map((p: Json) => p.spec.nodeName),
    ['node-a', 'node-a'],
  );
  assert.ok(!replaced.some((p: Json) => p.metadata.uid === lost.metadata.uid));

  // Leftovers of the dead node: no agent will ever finish its evicted pod, so it is removed by force, as
  // `kubectl delete --force --grace-period=0` does; then the Deployment (its pods on node-a go with it).
  const remaining = await podsOf('spread');
  for (const pod of remaining.filter((p) => p.spec.nodeName === 'node-b')) {
    await api().delete(pods, 'default', pod.metadata.name, { gracePeriodSeconds: 0 });
  }
  await api().delete(deployments, 'default', 'spread', { propagationPolicy: 'Foreground' });
  await api().delete(nodes, undefined, 'node-b');
  await eventually(async () => (await podsOf('spread')).length === 0, 30_000, 'the pods of the Deployment gone');
});
