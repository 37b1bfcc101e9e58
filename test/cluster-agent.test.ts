/**
 * The node agent in a real marinad, end to end: pods applied over the Kubernetes-style API are bound by
 * the scheduler to marinad's own node and run by its agent through the engine (real runc, conmon and
 * network namespaces, as root). Pods use the seeded busybox with imagePullPolicy IfNotPresent, so nothing
 * is pulled from a remote registry.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clusterApi, conditionStatus, isPodReady, type Json } from './cluster-helpers.ts';
import { eventually, useDaemon } from './harness.ts';

const d = useDaemon({ args: ['--node-name', 'agent-node'] });

const { kube, getPod, waitForPod } = clusterApi(d);

const podsPath = '/api/v1/namespaces/default/pods';

async function createObject(path: string, object: unknown): Promise<Json> {
  const answer = await kube('POST', path, object);
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

const containerIdOf = (pod: Json, index = 0): string =>
  String(pod.status.containerStatuses[index].containerID).replace('marina://', '');

async function deletePod(name: string): Promise<void> {
  await kube('DELETE', `${podsPath}/${name}`);
  await eventually(async () => (await getPod(name)) === undefined, 60_000, `pod ${name} to be deleted`);
}

/** Engine containers whose name says they belong to the pod. */
async function engineContainersOf(podName: string): Promise<string[]> {
  const listed = await d.docker(['ps', '-a', '--format', '{{.Names}}']);
  assert.equal(listed.code, 0, listed.stderr);
  return listed.stdout.split('\n').filter((n) => n.includes(`_${podName}_default_`));
}

const busybox = { image: 'busybox', imagePullPolicy: 'IfNotPresent' };

function pod(name: string, spec: Json): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { terminationGracePeriodSeconds: 2, ...spec },
  };
}

test('the agent registers its node with capacity and conditions, and keeps a lease', async () => {
  const node = await eventually(
    async () => {
      const answer = await kube('GET', '/api/v1/nodes/agent-node');
      return answer.status === 200 && answer.body.status?.conditions ? answer.body : undefined;
    },
    20_000,
    'the node to be registered',
  );
  assert.equal(node.metadata.labels['kubernetes.io/hostname'], 'agent-node');
  assert.equal(node.metadata.labels['kubernetes.io/os'], 'linux');
  assert.equal(node.status.capacity.pods, '110');
  assert.ok(Number(node.status.capacity.cpu) >= 1);
  assert.equal(node.status.conditions.find((c: Json) => c.type === 'Ready').status, 'True');
  assert.match(node.status.nodeInfo.containerRuntimeVersion, /^marina:\/\//);
  const lease = await kube(
    'GET',
    '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/agent-node',
  );
  assert.equal(lease.status, 200);
  assert.equal(lease.body.spec.holderIdentity, 'agent-node');
  assert.equal(lease.body.spec.leaseDurationSeconds, 40);
});

test('a pod is scheduled here and becomes Running and Ready with a pod IP', async () => {
  await createObject(
    podsPath,
    pod('web', { containers: [{ name: 'web', ...busybox, command: ['httpd', '-f', '-p', '8080'] }] }),
  );
  const running = await waitForPod(
    'web',
    'Running and Ready',
    (p) => p.status?.phase === 'Running' && isPodReady(p),
  );
  assert.equal(running.spec.nodeName, 'agent-node');
  assert.match(running.status.podIP, /^\d+\.\d+\.\d+\.\d+$/);
  assert.ok(running.status.hostIP);
  const [status] = running.status.containerStatuses;
  assert.equal(status.ready, true);
  assert.equal(status.restartCount, 0);
  assert.ok(status.state.running);
  assert.match(status.containerID, /^marina:\/\/[0-9a-f]{64}$/);
  for (const type of ['PodScheduled', 'Initialized', 'ContainersReady'])
    assert.equal(conditionStatus(running, type), 'True', type);
  await deletePod('web');
});

test('containers of a pod talk over localhost and share an emptyDir', async () => {
  await createObject(
    podsPath,
    pod('pair', {
      volumes: [{ name: 'shared', emptyDir: {} }],
      containers: [
        {
          name: 'server',
          ...busybox,
          command: ['sh', '-c', 'echo from-server > /www/index.html && httpd -f -p 8080 -h /www'],
          volumeMounts: [{ name: 'shared', mountPath: '/www' }],
        },
        {
          name: 'client',
          ...busybox,
          // Fetches over the pod's loopback into its own file, then reads the server's file from the shared dir.
          command: [
            'sh',
            '-c',
            'until wget -q -O /tmp/got http://127.0.0.1:8080/index.html; do sleep 0.2; done; sleep 3600',
          ],
          volumeMounts: [{ name: 'shared', mountPath: '/data', readOnly: true }],
          readinessProbe: {
            exec: {
              command: ['sh', '-c', 'grep -q from-server /tmp/got && grep -q from-server /data/index.html'],
            },
            periodSeconds: 1,
          },
        },
      ],
    }),
  );
  await waitForPod('pair', 'Ready', isPodReady);
  await deletePod('pair');
});

test('env and envFrom come from a ConfigMap and a Secret, and secret volumes hold the decoded data', async () => {
  await createObject('/api/v1/namespaces/default/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings' },
    data: { color: 'blue', size: 'L' },
  });
  await createObject('/api/v1/namespaces/default/secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds' },
    data: { password: Buffer.from('s3cret').toString('base64') },
  });
  const checks = [
    'test "$COLOR" = blue',
    'test "$CFG_size" = L',
    'test "$PASSWORD" = s3cret',
    'test "$POD_NAME" = envpod',
    'test "$GREETING" = "hello blue"',
    'test "$(cat /secret/password)" = s3cret',
  ].join(' && ');
  await createObject(
    podsPath,
    pod('envpod', {
      restartPolicy: 'Never',
      volumes: [{ name: 'creds', secret: { secretName: 'creds' } }],
      containers: [
        {
          name: 'check',
          ...busybox,
          command: ['sh', '-c', checks],
          envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
          env: [
            { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'GREETING', value: 'hello $(COLOR)' },
          ],
          volumeMounts: [{ name: 'creds', mountPath: '/secret' }],
        },
      ],
    }),
  );
  const done = await waitForPod(
    'envpod',
    'finished',
    (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed',
  );
  assert.equal(done.status.phase, 'Succeeded', JSON.stringify(done.status.containerStatuses));
  await deletePod('envpod');
});

test('a failing liveness probe restarts the container', async () => {
  await createObject(
    podsPath,
    pod('unhealthy', {
      containers: [
        {
          name: 'app',
          ...busybox,
          command: ['sleep', '3600'],
          livenessProbe: {
            exec: { command: ['test', '-f', '/tmp/healthy'] },
            periodSeconds: 1,
            failureThreshold: 1,
          },
        },
      ],
    }),
  );
  const restarted = await waitForPod(
    'unhealthy',
    'restartCount ≥ 1',
    (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    60_000,
  );
  assert.ok(
    restarted.status.containerStatuses[0].lastState.terminated,
    'the killed attempt is the last state',
  );
  await deletePod('unhealthy');
});

test('a readiness probe decides whether the pod is Ready', async () => {
  await createObject(
    podsPath,
    pod('gated', {
      containers: [
        {
          name: 'app',
          ...busybox,
          command: ['sleep', '3600'],
          readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 },
        },
      ],
    }),
  );
  const running = await waitForPod('gated', 'Running', (p) => p.status?.phase === 'Running');
  assert.equal(conditionStatus(running, 'Ready'), 'False');
  const id = containerIdOf(running);
  assert.equal((await d.docker(['exec', id, 'touch', '/tmp/ready'])).code, 0);
  await waitForPod('gated', 'Ready', isPodReady);
  assert.equal((await d.docker(['exec', id, 'rm', '/tmp/ready'])).code, 0);
  const notReady = await waitForPod('gated', 'not Ready again', (p) => conditionStatus(p, 'Ready') === 'False');
  assert.equal(notReady.status.containerStatuses[0].ready, false);
  await deletePod('gated');
});

test('deleting a pod runs preStop, stops and removes its containers, then the pod', async () => {
  const outDir = join(d.root, 'prestop-out');
  await createObject(
    podsPath,
    pod('leaving', {
      volumes: [{ name: 'out', hostPath: { path: outDir, type: 'DirectoryOrCreate' } }],
      containers: [
        {
          name: 'app',
          ...busybox,
          command: ['sleep', '3600'],
          volumeMounts: [{ name: 'out', mountPath: '/out' }],
          lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo goodbye > /out/prestop'] } } },
        },
      ],
    }),
  );
  await waitForPod('leaving', 'Running', (p) => p.status?.phase === 'Running');
  assert.equal((await engineContainersOf('leaving')).length, 1);
  await deletePod('leaving');
  assert.equal(readFileSync(join(outDir, 'prestop'), 'utf8').trim(), 'goodbye');
  assert.deepEqual(await engineContainersOf('leaving'), []);
});

test('a pod with restartPolicy Never whose container exits 0 ends Succeeded', async () => {
  await createObject(
    podsPath,
    pod('once', {
      restartPolicy: 'Never',
      initContainers: [{ name: 'prepare', ...busybox, command: ['true'] }],
      containers: [{ name: 'job', ...busybox, command: ['sh', '-c', 'echo done'] }],
    }),
  );
  const done = await waitForPod('once', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
  const [status] = done.status.containerStatuses;
  assert.equal(status.state.terminated.exitCode, 0);
  assert.equal(status.state.terminated.reason, 'Completed');
  assert.equal(done.status.initContainerStatuses[0].state.terminated.reason, 'Completed');
  assert.equal(conditionStatus(done, 'Ready'), 'False');
  await deletePod('once');
});

test('after kill -9 of marinad, running pods keep running and the agent adopts them', async () => {
  const flagDir = join(d.root, 'survivor-flag');
  mkdirSync(flagDir, { recursive: true });
  writeFileSync(join(flagDir, 'ready'), '');
  await createObject(
    podsPath,
    pod('survivor', {
      volumes: [{ name: 'flag', hostPath: { path: flagDir } }],
      containers: [
        {
          name: 'app',
          ...busybox,
          command: ['sleep', '3600'],
          volumeMounts: [{ name: 'flag', mountPath: '/flag' }],
          readinessProbe: { exec: { command: ['test', '-f', '/flag/ready'] }, periodSeconds: 1 },
        },
      ],
    }),
  );
  const before = await waitForPod(
    'survivor',
    'Running and Ready',
    (p) => p.status?.phase === 'Running' && isPodReady(p),
  );
  const id = containerIdOf(before);
  d.kill9();
  // While marinad is down: only an agent that adopted the container and probes it again can notice.
  rmSync(join(flagDir, 'ready'));
  await d.start();
  const after = await waitForPod(
    'survivor',
    'probed as not Ready by the restarted agent',
    (p) => conditionStatus(p, 'Ready') === 'False',
  );
  assert.equal(after.status.phase, 'Running');
  assert.equal(containerIdOf(after), id, 'the same container, not a new one');
  assert.equal(after.status.containerStatuses[0].restartCount, 0);
  assert.equal((await engineContainersOf('survivor')).length, 1, 'no duplicate containers');
  await deletePod('survivor');
});
