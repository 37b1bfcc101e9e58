/**
 * Services end to end, as root, on a real marinad whose node agent runs the pods: the kernel rules it
 * programs (iptables NAT) and the cluster DNS it serves. A client pod (busybox) reaches a 3-replica
 * Deployment by its Service name; the rotation follows scaling and readiness; a NodePort answers on the
 * host; a headless Service resolves to each pod; a UDP port spreads too; and after kill -9 and a restart
 * marinad's rules are exactly what they were, with a stale chain gone.
 * The UDP server is a tiny static C program (test/fixtures/udp-hostname.c, built here with gcc) mounted
 * into the pods, since busybox has none.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serviceChainPrefix } from '../src/cluster/agent/service-proxy/service-rules.ts';
import { daemonTagOf } from '../src/network/daemon-tag.ts';
import { isPodReady, type Json } from './cluster-helpers.ts';
import { eventually, useDaemon } from './harness.ts';
import { ownKernelObjects } from './network-kernel.ts';
import { buildStaticFixture } from './static-fixtures.ts';

const d = useDaemon({ args: ['--node-name', 'svc-node'] });

const binDir = mkdtempSync(join(tmpdir(), 'marina-udp-'));

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      volumes: [{name: bin, hostPath: {path: ${binDir}, type: Directory}}]
      containers:
      - name: httpd
        image: busybox
        imagePullPolicy: IfNotPresent
        command: [sh, -c, "mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {exec: {command: [cat, /tmp/ready]}, periodSeconds: 1, failureThreshold: 1}
      - name: udp
        image: busybox
        imagePullPolicy: IfNotPresent
        command: [/opt/bin/udp-hostname, "5300"]
        ports: [{name: echo, containerPort: 5300, protocol: UDP}]
        volumeMounts: [{name: bin, mountPath: /opt/bin}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: echo, port: 53, targetPort: echo, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: sleep, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}
`;

async function json(args: string[]): Promise<Json> {
  return JSON.parse(await d.ok([...args, '-o', 'json']));
}

/** The ready pods of the web Deployment, once there are `count` of them: name → pod IP. */
async function readyWebPods(count: number): Promise<Map<string, string>> {
  return eventually(
    async () => {
      const pods = ((await json(['get', 'pods', '-l', 'app=web'])).items as Json[]).filter(
        (p) => isPodReady(p) && !p.metadata.deletionTimestamp,
      );
      return pods.length === count
        ? new Map(pods.map((p) => [p.metadata.name as string, p.status.podIP as string]))
        : undefined;
    },
    60_000,
    `${count} ready web pods`,
  );
}

/**
 * Which pods answered `count` HTTP requests the client pod made to `host` port 80, one connection each.
 * With busybox's nc (name resolved through the pod's resolv.conf): the static busybox's wget crashes in
 * a rootfs without the host's libraries.
 */
async function backendsSeen(host: string, count: number): Promise<Set<string>> {
  const request = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} 80 | tail -n 1`;
  const out = await d.ok(['exec', 'pod/client', '--', 'sh', '-c', `for i in $(seq ${count}); do ${request}; done`]);
  return new Set(out.split('\n').filter(Boolean));
}

/** One UDP datagram from the host to ip:port; the name of the pod that answered. */
function askUdp(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP answer from ${ip}:${port}`));
    }, 2000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.send('who?', port, ip);
  });
}

const sameSet = (a: Iterable<string>, b: Iterable<string>) => assert.deepEqual([...a].sort(), [...b].sort());

after(() => rmSync(binDir, { recursive: true, force: true }));

// Within a suite, so that its hooks run after the daemon's (the file's) have started it.
describe('Services on a real node', () => {
  let clusterIp = '';

  before(async () => {
    buildStaticFixture('udp-hostname', binDir);
    await d.ok(['apply', '-f', '-'], { input: manifests });
    await readyWebPods(3);
    await eventually(async () => isPodReady(await json(['get', 'pod/client'])), 60_000, 'the client pod');
    clusterIp = (await json(['get', 'svc/web'])).spec.clusterIP;
  });

  test('a Service name resolves in a pod, in each of its forms, and connections spread over every ready replica', async () => {
    const pods = await readyWebPods(3);
    await eventually(
      async () => (await backendsSeen('web', 60)).size === 3,
      30_000,
      'all three replicas in rotation',
    );
    sameSet(await backendsSeen('web', 150), pods.keys());
    for (const name of ['web.default', 'web.default.svc.cluster.local', `${clusterIp}`]) {
      const [answer] = await backendsSeen(name, 1);
      assert.ok(pods.has(answer ?? ''), `${name} answered by ${answer}`);
    }
    const described = await d.ok(['describe', 'svc', 'web']);
    assert.match(described, new RegExp(`^IP:\\s+${clusterIp.replaceAll('.', '\\.')}$`, 'm'));
    for (const ip of pods.values()) assert.match(described, new RegExp(`${ip.replaceAll('.', '\\.')}:8080`));
  });

  test('a UDP service port spreads datagrams over the replicas', async () => {
    const pods = await readyWebPods(3);
    const answered = new Set<string>();
    for (let i = 0; i < 60 && answered.size < pods.size; i++) answered.add(await askUdp(clusterIp, 53));
    sameSet(answered, pods.keys());
  });

  test('a NodePort answers on the host, on its addresses and on 127.0.0.1', async () => {
    const service = await json(['get', 'svc/web-np']);
    const nodePort = service.spec.ports[0].nodePort as number;
    const gateway = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', d.bridge], {
      encoding: 'utf8',
    }).match(/inet (\d+\.\d+\.\d+\.\d+)/)![1];
    const pods = await readyWebPods(3);
    for (const address of [gateway, '127.0.0.1']) {
      const res = await fetch(`http://${address}:${nodePort}/`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200, address);
      assert.ok(pods.has((await res.text()).trim()), address);
    }
  });

  test('a headless Service resolves to each ready pod', async () => {
    const pods = await readyWebPods(3);
    const out = await d.ok([
      'exec',
      'pod/client',
      '--',
      'nslookup',
      'web-headless.default.svc.cluster.local',
    ]);
    const addresses = [...out.slice(out.indexOf('Name:')).matchAll(/Address:\s+(\d+\.\d+\.\d+\.\d+)/g)].map(
      (m) => m[1]!,
    );
    sameSet(addresses, pods.values());
  });

  test('scaling and a failing readiness probe change the rotation', async () => {
    await d.ok(['scale', 'deploy/web', '--replicas', '4']);
    const four = await readyWebPods(4);
    await eventually(
      async () => (await backendsSeen('web', 60)).size === 4,
      30_000,
      'the fourth pod in rotation',
    );
    const [unready] = four.keys();
    await d.ok(['exec', '-c', 'httpd', `pod/${unready}`, '--', 'rm', '/tmp/ready']);
    await readyWebPods(3);
    const seen = await eventually(
      async () => {
        const backends = await backendsSeen('web', 60);
        return backends.has(unready!) ? undefined : backends;
      },
      30_000,
      'the unready pod out of rotation',
    );
    assert.equal(seen.size, 3);
    await d.ok(['exec', '-c', 'httpd', `pod/${unready}`, '--', 'touch', '/tmp/ready']);
    await d.ok(['scale', 'deploy/web', '--replicas', '3']);
    await readyWebPods(3);
  });

  test('after kill -9 and a restart the rules are exactly what they were, and a stale chain is gone', async () => {
    const ownRules = () => ownKernelObjects(d.root, d.bridge).rules;
    const pods = await readyWebPods(3);
    await eventually(
      async () => (await backendsSeen('web', 30)).size === 3,
      30_000,
      'all three in rotation',
    );
    const before = ownRules();
    assert.ok(
      before.some((line) => line.includes(clusterIp)),
      `no rule for ${clusterIp}:\n${before.join('\n')}`,
    );
    d.kill9();
    const stale = `${serviceChainPrefix(daemonTagOf(d.root))}SVC-STALE`;
    execFileSync('iptables', ['-t', 'nat', '-N', stale]);
    await d.start();
    await eventually(
      () => {
        const now = ownRules();
        return now.length === before.length && now.every((line, i) => line === before[i]) ? now : undefined;
      },
      30_000,
      'the same rules after the restart',
    );
    assert.ok(!execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).includes(stale));
    sameSet(await backendsSeen('web', 60), pods.keys());
  });
});
