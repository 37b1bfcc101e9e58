/**
 * `npm run bench:control-plane`: the control plane of a real marinad, over its API.
 * (2) Scheduler throughput with `--nodes` hollow nodes and `--pods` pods, target ≥ 3,000 pods bound/s:
 *     first the scheduler as marinad runs it (informers, scheduler loop, binds and Events through the
 *     ResourceService on SQLite) with every pod stored before it starts — its own throughput; then the
 *     same through a real marinad's HTTP API: hollow nodes (Node objects and Leases registered and
 *     renewed by the bench, as kubemark's hollow nodes do, running nothing) and pods created by
 *     `--writers` concurrent clients, measured from the first create to the last bind seen on a watch
 *     (so it is the slower of creating and binding; the create rate is printed beside it).
 * (3) API latency at a steady `--rate` requests/s: GET of one object, LIST of a namespace, and watch
 *     delivery (from a write's answer to its event arriving on an open watch); p50 and p99.
 * (1) Pod startup latency: a `--replicas` Deployment (busybox, run by marinad's own node agent) applied
 *     through the API; for each pod, the time from the apply to the pod's Ready condition seen on a
 *     watch; p50 and p99 against Kubernetes' SLO (p99 ≤ 5 s) and the target (p99 ≤ 1 s), and the CPU
 *     per pod of marinad and its tools (control-plane-startup.ts, which also runs this part alone).
 * Pods carry a nodeSelector for the hollow nodes, so a node agent in marinad gets none of them.
 * Flags: --replicas N (100), --nodes N (1000), --pods N (30000), --writers N (32), --rate N (500), --seconds N (10),
 * --timeout-s N (900).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { ResourceService } from '../src/cluster/apiserver/resource-service.ts';
import { EventRecorder } from '../src/cluster/controllers/event-recorder.ts';
import { createInformers } from '../src/cluster/controllers/informers.ts';
import { kindByName } from '../src/cluster/resources/registry.ts';
import { SchedulerLoop } from '../src/cluster/scheduler/scheduler-loop.ts';
import { SqliteStore } from '../src/cluster/store/sqlite-store.ts';
import { StateDb } from '../src/db/state-db.ts';
import { type ApiClient, readJsonLines } from '../src/cli/client.ts';
import { buildMarina, runBench, startBenchDaemon, versionsLine } from './bench-main.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { meterDaemon, podStartupLatency, startupTable } from './control-plane-startup.ts';
import { readCountFlags } from './flags.ts';
import { markdownTable, ms, summarize } from './stats.ts';

const hollowLabel = 'bench.marina.io/hollow';

const hollowNode = (name: string) => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, [hollowLabel]: 'true' } },
  status: {
    allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
    capacity: { cpu: '32', memory: '128Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
});

const benchPod = (name: string) => ({
  metadata: { name, labels: { app: 'bench' } },
  spec: {
    nodeSelector: { [hollowLabel]: 'true' },
    containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
  },
});

/** Runs `count` tasks with at most `width` at a time. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < count; i = next++) await task(i);
    }),
  );
}

const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
const microTime = () => new Date().toISOString().replace('Z', '000Z');

/** Registers hollow nodes with their Leases, then renews the Leases every 10 s (as a node agent does) until `signal`. */
async function registerHollowNodes(client: ApiClient, count: number, writers: number, signal: AbortSignal): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `hollow-${i}`);
  await inParallel(count, writers, async (i) => {
    const name = names[i]!;
    const body = hollowNode(name);
    await client.json('POST', '/api/v1/nodes', { json: body });
    await client.json('PUT', `/api/v1/nodes/${name}/status`, { json: { ...body, apiVersion: 'v1', kind: 'Node' } });
    await client.json('POST', leasePath, {
      json: { metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() } },
    });
  });
  void (async () => {
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      if (signal.aborted) break;
      await inParallel(count, 4, async (i) => {
        const lease = await client.json<{ spec: Record<string, unknown> }>('GET', `${leasePath}/${names[i]}`);
        await client.json('PUT', `${leasePath}/${names[i]}`, { json: { ...lease, spec: { ...lease.spec, renewTime: microTime() } } });
      }).catch(() => {});
    }
  })();
}

async function schedulerThroughput(client: ApiClient, flags: { pods: number; writers: number }) {
  const list = await client.json<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces/default/pods');
  const watch = new AbortController();
  const bound = new Set<string>();
  let lastBind = 0;
  let allBound: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allBound = resolve;
  });
  const stream = await client.send('GET', '/api/v1/namespaces/default/pods', {
    query: { watch: 'true', resourceVersion: list.metadata.resourceVersion, labelSelector: 'app=bench' },
  });
  watch.signal.addEventListener('abort', () => stream.destroy());
  const reading = readJsonLines(stream, (event) => {
    const object = event.object as { metadata: { name: string }; spec?: { nodeName?: string } };
    if (!object.spec?.nodeName || bound.has(object.metadata.name)) return;
    bound.add(object.metadata.name);
    lastBind = performance.now();
    if (bound.size === flags.pods) allBound();
  }).catch(() => {});

  const start = performance.now();
  await inParallel(flags.pods, flags.writers, (i) =>
    client.json('POST', '/api/v1/namespaces/default/pods', { json: benchPod(`bench-${i}`) }),
  );
  const created = performance.now();
  await done;
  watch.abort();
  await reading;
  return {
    createPerSecond: flags.pods / ((created - start) / 1000),
    boundPerSecond: flags.pods / ((lastBind - start) / 1000),
    seconds: (lastBind - start) / 1000,
  };
}

/**
 * The scheduler as marinad runs it (informers, the scheduler loop, binds and events through the
 * ResourceService on a SQLite store), with every node and pod stored before it starts: its own
 * throughput, free of the API's create rate.
 */
async function inProcessScheduler(nodeCount: number, podCount: number) {
  const dir = mkdtempSync(join(tmpdir(), 'marina-bench-scheduler-'));
  const db = new StateDb(join(dir, 'state.db'));
  const store = new SqliteStore(db, { compactEveryMs: 0 });
  const api = new ResourceService(store);
  const stop = new AbortController();
  try {
    await api.ensureNamespaces(kindByName('namespace'), ['default']);
    const nodes = kindByName('node');
    const pods = kindByName('pod');
    for (let i = 0; i < nodeCount; i++) {
      const body = hollowNode(`hollow-${i}`);
      const { object } = await api.create(nodes, undefined, body);
      await api.updateStatus(nodes, undefined, `hollow-${i}`, { ...object, status: body.status });
    }
    for (let i = 0; i < podCount; i++) await api.create(pods, 'default', benchPod(`bench-${i}`));
    const logger = pino({ level: 'silent' });
    const informers = createInformers(api);
    const running = [informers.run(stop.signal)];
    await informers.synced();
    let bound = 0;
    const allBound = new Promise<void>((resolve) => {
      informers.pods.on({
        updated: (previous, pod) => {
          const was = (previous.spec as { nodeName?: string }).nodeName;
          if (!was && (pod.spec as { nodeName?: string }).nodeName && ++bound === podCount) resolve();
        },
      });
    });
    const loop = new SchedulerLoop({
      client: api,
      pods: informers.pods,
      nodes: informers.nodes,
      events: new EventRecorder(api, { component: 'default-scheduler', logger }),
      logger,
    });
    const start = performance.now();
    running.push(loop.run(stop.signal));
    await allBound;
    const seconds = (performance.now() - start) / 1000;
    stop.abort();
    await Promise.allSettled(running);
    return { boundPerSecond: podCount / seconds, seconds };
  } finally {
    stop.abort();
    await store.close();
    db.sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sends requests at a steady rate for `seconds`; each sample is one request's latency. */
async function steadyLatency(rate: number, seconds: number, request: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const begin = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = begin + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t0 = performance.now();
    const work = request().then(() => {
      samples.push(performance.now() - t0);
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }
  await Promise.all(inFlight);
  return samples;
}

/** From a write's answer to its event on an open watch, for `count` writes at `rate`/s. */
async function watchDelivery(client: ApiClient, rate: number, count: number): Promise<number[]> {
  const list = await client.json<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces/default/configmaps');
  const answered = new Map<string, number>();
  const arrived = new Map<string, number>();
  const stream = await client.send('GET', '/api/v1/namespaces/default/configmaps', {
    query: { watch: 'true', resourceVersion: list.metadata.resourceVersion },
  });
  const reading = readJsonLines(stream, (event) => {
    const name = (event.object as { metadata: { name: string } }).metadata.name;
    arrived.set(name, performance.now());
  }).catch(() => {});
  await steadyLatency(rate, count / rate, async () => {
    const name = `watch-${answered.size}-${Math.random().toString(36).slice(2, 8)}`;
    answered.set(name, Number.NaN);
    await client.json('POST', '/api/v1/namespaces/default/configmaps', { json: { metadata: { name }, data: { a: 'b' } } });
    answered.set(name, performance.now());
  });
  const deadline = performance.now() + 10_000;
  while (arrived.size < answered.size && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  stream.destroy();
  await reading;
  // An event may arrive before the client has read the write's answer: that counts as 0, not negative.
  return [...answered].map(([name, at]) => Math.max(0, (arrived.get(name) ?? Number.POSITIVE_INFINITY) - at));
}

async function main(): Promise<void> {
  const flags = readCountFlags({ replicas: 100, nodes: 1000, pods: 30000, writers: 32, rate: 500, seconds: 10, 'timeout-s': 900 });
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags['timeout-s'] * 1000);
  try {
    console.log('preparing: build, daemon…');
    buildMarina();
    const { daemon, client } = await startBenchDaemon(cleanup);

    console.log(`pod startup: a Deployment of ${flags.replicas} on marinad's own node…`);
    const cpu = meterDaemon(daemon);
    if (cpu) cleanup.defer('remove the CPU accounting group', () => cpu.close());
    const startup = await podStartupLatency(client, flags.replicas, cpu);
    console.log(`\n## (1) Pod startup latency: apply to Ready, a ${flags.replicas}-replica Deployment on this machine\n`);
    console.log(startupTable(flags.replicas, summarize(startup.latencies), startup.cpu));
    console.log(`\nscheduler in process: storing ${flags.nodes} nodes and ${flags.pods} pods, then scheduling them all…`);
    const own = await inProcessScheduler(flags.nodes, flags.pods);
    console.log(`registering ${flags.nodes} hollow nodes…`);
    const renewals = new AbortController();
    cleanup.defer('stop renewing the hollow nodes’ leases', () => renewals.abort());
    await registerHollowNodes(client, flags.nodes, flags.writers, renewals.signal);
    console.log(`creating ${flags.pods} pods with ${flags.writers} writers, waiting for every bind…`);
    const throughput = await schedulerThroughput(client, flags);
    console.log(`\n## (2) Scheduler throughput: ${flags.nodes} hollow nodes, ${flags.pods} pods, through the API\n`);
    console.log(
      markdownTable(
        ['measurement', 'value', 'target', 'result'],
        [
          [
            'scheduler (in process, pods stored first): pods bound/s',
            own.boundPerSecond.toFixed(0),
            '≥ 3000',
            own.boundPerSecond >= 3000 ? 'PASS' : 'MISS',
          ],
          ['scheduler (in process): seconds until every pod was bound', own.seconds.toFixed(1), '', ''],
          ['through marinad’s API: pods created/s (all writers)', throughput.createPerSecond.toFixed(0), '', ''],
          ['through marinad’s API: pods bound/s (first create → last bind)', throughput.boundPerSecond.toFixed(0), '', ''],
          ['through marinad’s API: seconds until every pod was bound', throughput.seconds.toFixed(1), '', ''],
        ],
      ),
    );

    console.log(`\n## (3) API latency at ${flags.rate} requests/s for ${flags.seconds} s (${flags.pods} pods stored)\n`);
    const get = summarize(await steadyLatency(flags.rate, flags.seconds, () => client.json('GET', '/api/v1/namespaces/default/pods/bench-0')));
    const list = summarize(
      await steadyLatency(flags.rate, flags.seconds, () => client.json('GET', '/api/v1/namespaces/kube-system/configmaps')),
    );
    const delivery = summarize(await watchDelivery(client, flags.rate, flags.rate * flags.seconds));
    console.log(
      markdownTable(
        ['request', 'n', 'p50 ms', 'p99 ms'],
        [
          ['GET one pod', String(get.n), ms(get.median), ms(get.p99)],
          ['LIST a namespace (kube-system configmaps)', String(list.n), ms(list.median), ms(list.p99)],
          ['watch delivery (write answered → event)', String(delivery.n), ms(delivery.median), ms(delivery.p99)],
        ],
      ),
    );
    console.log(`\n${await versionsLine([])}`);
  } finally {
    await cleanup.run();
  }
}

runBench(main);
