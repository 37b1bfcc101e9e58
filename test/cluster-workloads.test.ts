/**
 * Workloads end to end on one marinad with its node agent, pods really running (real runc, conmon and
 * namespaces, as root; the seeded busybox with imagePullPolicy IfNotPresent, so nothing is pulled):
 * rolling updates that keep enough pods Ready, a stalled rollout undone, a rollout that survives marinad's
 * kill -9, Jobs that complete and fail as specified, and a Deployment's deletion reaching the engine.
 * CronJobs are not here: a schedule's smallest step is a minute, and what a CronJob adds over the Job it
 * creates (schedules, concurrency policies, history) is covered in process by the controller's tests
 * (src/cluster/controllers/cronjob/).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { KubeObject } from '../src/cluster/apiserver/api-kind.ts';
import { HttpResourceClient } from '../src/cluster/apiserver/http-resource-client.ts';
import { kindByName } from '../src/cluster/resources/registry.ts';
import { isPodReady, type Json } from './cluster-helpers.ts';
import { eventually, useDaemon } from './harness.ts';

const d = useDaemon({ args: ['--node-name', 'work-node'] });
let clientOpen: HttpResourceClient | undefined;
const api = () => (clientOpen ??= new HttpResourceClient(`unix://${d.socket}`));
after(() => clientOpen?.close());

const pods = kindByName('pods');
const deployments = kindByName('deployments');
const replicaSets = kindByName('replicasets');
const jobs = kindByName('jobs');

const condition = (object: Json, type: string): Json | undefined =>
  object.status?.conditions?.find((c: Json) => c.type === type);
/** Ready and not on its way out: what counts towards a rollout's availability. */
const serving = (pod: Json) => !pod.metadata.deletionTimestamp && isPodReady(pod);

const busybox = { image: 'busybox', imagePullPolicy: 'IfNotPresent' };
const httpd = { name: 'web', ...busybox, command: ['httpd', '-f', '-p', '8080'] };

function deployment(name: string, spec: Json, container: Json = httpd): Json {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      ...spec,
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }, ...container }],
        },
      },
    },
  };
}

async function podsLabelled(selector: string): Promise<Json[]> {
  return (await api().list(pods, 'default', undefined, { labelSelector: selector })).items;
}

/** Every replica updated, Ready and available, for the Deployment's latest generation. */
function rolledOut(object: Json): boolean {
  const { status, spec, metadata } = object;
  return (
    status?.observedGeneration >= metadata.generation &&
    status.updatedReplicas === spec.replicas &&
    status.readyReplicas === spec.replicas &&
    status.availableReplicas === spec.replicas &&
    status.replicas === spec.replicas
  );
}

function waitRolledOut(name: string, timeoutMs = 60_000): Promise<Json> {
  return eventually(
    async () => {
      const object: Json = await api().get(deployments, 'default', name);
      return rolledOut(object) ? object : undefined;
    },
    timeoutMs,
    `deployment ${name} rolled out (${agentLog()})`,
  );
}

function agentLog(): string {
  return d
    .logs()
    .split('\n')
    .filter((l) => l.includes('"level":40') || l.includes('"level":50'))
    .slice(-3)
    .join('\n');
}

/** Changes the Deployment's container (a new template: a new revision rolls out). */
async function setContainer(name: string, container: Json): Promise<void> {
  const current: Json = await api().get(deployments, 'default', name);
  current.spec.template.spec.containers = [container];
  await api().update(deployments, 'default', name, current);
}

/** The pod-template-hash of the Deployment's pods that serve now. */
async function servingHashes(name: string): Promise<string[]> {
  return (await podsLabelled(`app=${name}`)).filter(serving).map((p) => p.metadata.labels['pod-template-hash']);
}

async function deleteDeployment(name: string): Promise<void> {
  await d.ok(['delete', 'deployment', name]);
  await eventually(async () => (await podsLabelled(`app=${name}`)).length === 0, 60_000, `pods of ${name} gone`);
}

/**
 * Follows the Deployment's pods by watch while `during` runs, and answers the fewest that were serving at
 * any moment: every event is seen, not a sample of polls.
 */
async function fewestServingDuring(selector: string, during: () => Promise<unknown>): Promise<number> {
  const stop = new AbortController();
  const listed = await api().list(pods, 'default', undefined, { labelSelector: selector });
  const current = new Map<string, KubeObject>(listed.items.map((p) => [p.metadata.uid!, p]));
  const count = () => [...current.values()].filter(serving).length;
  let fewest = count();
  const following = (async () => {
    for await (const event of api().watch(pods, 'default', listed.resourceVersion, stop.signal, undefined, { labelSelector: selector })) {
      if (event.type === 'DELETED') current.delete(event.object.metadata.uid!);
      else current.set(event.object.metadata.uid!, event.object);
      fewest = Math.min(fewest, count());
    }
  })();
  try {
    await during();
  } finally {
    stop.abort();
    await following;
  }
  return fewest;
}

test('a rolling update of 3 replicas never has fewer than replicas - maxUnavailable pods Ready', async () => {
  await api().create(deployments, 'default', deployment('roll', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
  await waitRolledOut('roll');
  const before = await servingHashes('roll');
  const fewest = await fewestServingDuring('app=roll', async () => {
    await setContainer('roll', { ...httpd, env: [{ name: 'REVISION', value: '2' }] });
    await waitRolledOut('roll');
  });
  assert.ok(fewest >= 3 - 1, `only ${fewest} pods were Ready at one point`);
  const afterwards = await servingHashes('roll');
  assert.equal(afterwards.length, 3);
  assert.ok(!afterwards.some((hash) => before.includes(hash)), 'every pod is of the new template');
  await deleteDeployment('roll');
});

test('a template whose readiness probe fails stalls the rollout past its deadline; rollout undo restores the last revision', async () => {
  await api().create(deployments, 'default', deployment('stall', { progressDeadlineSeconds: 5 }));
  await waitRolledOut('stall');
  const good = await servingHashes('stall');
  assert.equal(new Set(good).size, 1);

  await setContainer('stall', { ...httpd, readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 } });
  const stalled = await eventually(
    async () => {
      const object: Json = await api().get(deployments, 'default', 'stall');
      const progressing = condition(object, 'Progressing');
      return progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded' ? object : undefined;
    },
    60_000,
    'Progressing=False, ProgressDeadlineExceeded',
  );
  assert.ok(stalled.status.updatedReplicas >= 1, 'a pod of the new template was made');
  // The default maxUnavailable (25% of 3, rounded down) is 0: all three old pods still serve.
  assert.deepEqual(await servingHashes('stall'), good);

  await d.ok(['rollout', 'undo', 'deploy/stall']);
  await eventually(
    async () => {
      const object: Json = await api().get(deployments, 'default', 'stall');
      const all = await podsLabelled('app=stall');
      const onlyGood = all.every((p) => p.metadata.labels['pod-template-hash'] === good[0]);
      return rolledOut(object) && onlyGood && all.filter(serving).length === 3;
    },
    60_000,
    'the previous revision back at 3 Ready pods, the failing ones gone',
  );
  await deleteDeployment('stall');
});

test('marinad killed with -9 in the middle of a rollout finishes it once started again', async () => {
  // Each new pod is Ready only after 2 s and no old one goes before it (maxUnavailable 0): a slow rollout.
  const slowReady = { readinessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 2, periodSeconds: 1 } };
  await api().create(
    deployments,
    'default',
    deployment('resume', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }, { ...httpd, ...slowReady }),
  );
  await waitRolledOut('resume');
  const before = await servingHashes('resume');

  await setContainer('resume', { ...httpd, ...slowReady, env: [{ name: 'REVISION', value: '2' }] });
  await eventually(
    async () => {
      const object: Json = await api().get(deployments, 'default', 'resume');
      const hashes = (await podsLabelled('app=resume')).map((p) => p.metadata.labels['pod-template-hash']);
      const started = hashes.some((hash) => !before.includes(hash));
      return started && !rolledOut(object);
    },
    30_000,
    'the rollout under way',
  );
  d.kill9();
  await d.start();

  await waitRolledOut('resume');
  const afterwards = await servingHashes('resume');
  assert.equal(afterwards.length, 3);
  assert.equal(new Set(afterwards).size, 1);
  assert.ok(!before.includes(afterwards[0]!), 'the new template serves');
  const sets = (await api().list(replicaSets, 'default', undefined, { labelSelector: 'app=resume' })).items as Json[];
  assert.deepEqual(
    sets.map((rs) => rs.spec.replicas).sort(),
    [0, 3],
    'the old ReplicaSet scaled to 0, the new one to 3',
  );
});

test('deleting a Deployment removes its ReplicaSets, its pods and their engine containers', async () => {
  // Those still terminating after the rollout included: their containers must go too.
  const names = (await podsLabelled('app=resume')).map((p) => p.metadata.name as string);
  assert.ok(names.length >= 3);
  const engineContainers = async () => {
    const listed = await d.docker(['ps', '-a', '--format', '{{.Names}}']);
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split('\n').filter((n) => names.some((pod) => n.includes(`_${pod}_default_`)));
  };
  assert.ok((await engineContainers()).length >= 3);

  await d.ok(['delete', 'deployment', 'resume']);
  await eventually(
    async () => {
      const sets = await api().list(replicaSets, 'default', undefined, { labelSelector: 'app=resume' });
      const left = await podsLabelled('app=resume');
      return sets.items.length === 0 && left.length === 0 && (await engineContainers()).length === 0;
    },
    60_000,
    'ReplicaSets, pods and containers gone',
  );
});

function job(name: string, spec: Json, command: string[]): Json {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: {
        spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'work', ...busybox, command }] },
      },
    },
  };
}

function waitFinished(name: string, timeoutMs: number): Promise<Json> {
  return eventually(
    async () => {
      const object: Json = await api().get(jobs, 'default', name);
      const done = ['Complete', 'Failed'].some((type) => condition(object, type)?.status === 'True');
      return done ? object : undefined;
    },
    timeoutMs,
    `job ${name} finished`,
  );
}

test('a Job of 3 completions, 2 at a time, completes with real pods', async () => {
  const running = (pod: Json) => !['Succeeded', 'Failed'].includes(pod.status?.phase) && !pod.metadata.deletionTimestamp;
  let most = 0;
  const stop = new AbortController();
  const listed = await api().list(pods, 'default', undefined, { labelSelector: 'job-name=three' });
  const following = (async () => {
    const current = new Map<string, KubeObject>();
    for await (const event of api().watch(pods, 'default', listed.resourceVersion, stop.signal, undefined, { labelSelector: 'job-name=three' })) {
      if (event.type === 'DELETED') current.delete(event.object.metadata.uid!);
      else current.set(event.object.metadata.uid!, event.object);
      most = Math.max(most, [...current.values()].filter(running).length);
    }
  })();
  try {
    await api().create(jobs, 'default', job('three', { completions: 3, parallelism: 2 }, ['sh', '-c', 'sleep 1']));
    const done = await waitFinished('three', 60_000);
    assert.equal(condition(done, 'Complete')?.status, 'True', JSON.stringify(done.status));
    assert.equal(done.status.succeeded, 3);
  } finally {
    stop.abort();
    await following;
  }
  assert.ok(most >= 1 && most <= 2, `${most} pods ran at once`);
  const finished = await podsLabelled('job-name=three');
  assert.equal(finished.filter((p) => p.status?.phase === 'Succeeded').length, 3);
  await api().delete(jobs, 'default', 'three', { propagationPolicy: 'Foreground' });
});

test('a Job whose command fails is retried, then fails once backoffLimit is exceeded', async () => {
  await api().create(jobs, 'default', job('doomed', { backoffLimit: 1 }, ['sh', '-c', 'exit 3']));
  // The retry waits out the Job controller's back-off (10 s, as Kubernetes').
  const done = await waitFinished('doomed', 60_000);
  const failed = condition(done, 'Failed');
  assert.equal(failed?.status, 'True', JSON.stringify(done.status));
  assert.equal(failed.reason, 'BackoffLimitExceeded');
  assert.equal(done.status.failed, 2, 'the first attempt and one retry');
  const attempts = await podsLabelled('job-name=doomed');
  assert.equal(attempts.length, 2);
  for (const pod of attempts) assert.equal(pod.status.containerStatuses[0].state.terminated.exitCode, 3);
  await api().delete(jobs, 'default', 'doomed', { propagationPolicy: 'Foreground' });
});
