/**
 * `npm run bench:services`: a Service's data path against its anchor, the same pods hit directly, on one
 * marinad run by its own node agent (real pods, real iptables rules):
 * (1) HTTP requests/s and p99 (wrk, from inside a client pod's network namespace) to a 3-replica
 *     Deployment through its Service's ClusterIP, against the same three replicas hit directly by their
 *     pod IPs; each way runs one wrk per replica at the same time, with a third of the connections each
 *     (all to the ClusterIP, or one to each pod IP); alternating,
 *     order flipped every run; target: ClusterIP ≥ 0.95 × direct requests/s. The pods serve with
 *     test/fixtures/http-hostname.c (keep-alive), not busybox's httpd: httpd closes every connection, and
 *     at thousands of new connections a second from one client the servers' TIME_WAIT and conntrack's
 *     entries for reused ports stall SYNs for a second on either path, which measures port churn, not
 *     the data path. Each way has its own client pod, so neither inherits the other's connection state.
 * (2) From a pod becoming ready to its Service sending it traffic: a pod whose readiness probe reads a
 *     file is made unready and ready again `--samples` times; each time, from the moment the bench's
 *     watch sees Ready=True to the first request through the ClusterIP that it answers (the Service has
 *     no other endpoint, so requests are refused until then); target p99 ≤ 200 ms.
 * Flags: --runs N (5), --seconds N (5), --samples N (20), --timeout-s N (900).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type ApiClient, readJsonLines } from '../src/cli/client.ts';
import { sandboxNetnsPrefix } from '../src/engine/pod-sandbox.ts';
import { daemonTagOf } from '../src/network/daemon-tag.ts';
import { isPodReady } from '../test/cluster-helpers.ts';
import { eventually, runProcess, type TestDaemon } from '../test/harness.ts';
import { buildStaticFixture } from '../test/static-fixtures.ts';
import { buildMarina, runBench, startBenchDaemon, versionsLine } from './bench-main.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { readCountFlags } from './flags.ts';
import { markdownTable, ms, summarize } from './stats.ts';
import { runWrk } from './wrk.ts';

function readFlags() {
  const f = readCountFlags({ runs: 5, seconds: 5, samples: 20, 'timeout-s': 900 });
  return { runs: f.runs, seconds: f.seconds, samples: f.samples, timeoutMs: f['timeout-s'] * 1000 };
}

const replicas = 3;
const connectionsPerReplica = 10;
const throughputTarget = 0.95;
const readyToTrafficTargetMs = 200;
const podsPath = '/api/v1/namespaces/default/pods';

interface Pod {
  metadata: { name: string; uid: string };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

/** The pods behind the measured Service: the keep-alive server from `binDir`, answering on 8080. */
function echoPod(binDir: string) {
  return {
    terminationGracePeriodSeconds: 1,
    volumes: [{ name: 'bin', hostPath: { path: binDir, type: 'Directory' } }],
    containers: [
      {
        name: 'http',
        image: 'busybox',
        imagePullPolicy: 'IfNotPresent',
        command: ['/opt/bin/http-hostname', '8080'],
        ports: [{ name: 'http', containerPort: 8080 }],
        volumeMounts: [{ name: 'bin', mountPath: '/opt/bin' }],
      },
    ],
  };
}

/** A busybox httpd on port 8080 whose readiness probe passes while `/tmp/ready` exists. */
function flipPod() {
  return {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'httpd',
        image: 'busybox',
        imagePullPolicy: 'IfNotPresent',
        command: [
          'sh',
          '-c',
          'mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www',
        ],
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: {
          exec: { command: ['cat', '/tmp/ready'] },
          periodSeconds: 1,
          failureThreshold: 1,
          successThreshold: 1,
        },
      },
    ],
  };
}

async function apply(client: ApiClient, binDir: string): Promise<void> {
  const labels = { app: 'echo' };
  await client.json('POST', '/apis/apps/v1/namespaces/default/deployments', {
    json: {
      metadata: { name: 'echo' },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: echoPod(binDir) },
      },
    },
  });
  const service = (name: string, selector: Record<string, string>) => ({
    metadata: { name },
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  await client.json('POST', '/api/v1/namespaces/default/services', { json: service('echo', labels) });
  await client.json('POST', '/api/v1/namespaces/default/services', {
    json: service('flip', { app: 'flip' }),
  });
  await client.json('POST', podsPath, {
    json: { metadata: { name: 'flip', labels: { app: 'flip' } }, spec: flipPod() },
  });
  for (const way of ['service', 'direct']) {
    await client.json('POST', podsPath, {
      json: {
        metadata: { name: `client-${way}`, labels: { client: way } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'sleep', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
          ],
        },
      },
    });
  }
}

async function readyPods(client: ApiClient, selector: string, count: number): Promise<Pod[]> {
  return eventually(
    async () => {
      const { items } = await client.json<{ items: Pod[] }>('GET', podsPath, {
        query: { labelSelector: selector },
      });
      const ready = items.filter(isPodReady);
      return ready.length === count ? ready : undefined;
    },
    120_000,
    `${count} ready pods ${selector}`,
  );
}

const clusterIpOf = async (client: ApiClient, name: string) =>
  (await client.json<{ spec: { clusterIP: string } }>('GET', `/api/v1/namespaces/default/services/${name}`))
    .spec.clusterIP;

interface Way {
  label: string;
  run: () => Promise<{ requestsPerSecond: number; p99Ms: number }>;
  results: { requestsPerSecond: number; p99Ms: number }[];
}

async function throughput(
  netns: { service: string; direct: string },
  clusterIp: string,
  podIps: string[],
  flags: ReturnType<typeof readFlags>,
): Promise<void> {
  // Both ways load the same: one wrk process per replica, with its share of the connections, at once.
  const together = async (netns: string, urls: string[]) => {
    const each = await Promise.all(
      urls.map((url) =>
        runWrk({ netns, url, threads: 1, connections: connectionsPerReplica, seconds: flags.seconds }),
      ),
    );
    // Requests add up; the p99 shown is the worst of them.
    return {
      requestsPerSecond: each.reduce((sum, r) => sum + r.requestsPerSecond, 0),
      p99Ms: Math.max(...each.map((r) => r.p99Ms)),
    };
  };
  const shape = `${podIps.length} × wrk -t1 -c${connectionsPerReplica}, together`;
  const viaService: Way = {
    label: `ClusterIP ${clusterIp}:80 (${shape})`,
    run: () =>
      together(
        netns.service,
        podIps.map(() => `http://${clusterIp}/`),
      ),
    results: [],
  };
  const direct: Way = {
    label: `pod IPs :8080 (${shape}, one per pod)`,
    run: () =>
      together(
        netns.direct,
        podIps.map((ip) => `http://${ip}:8080/`),
      ),
    results: [],
  };
  console.log(`${flags.runs} runs of ${flags.seconds} s each way, alternating (order flipped every run)`);
  for (let run = 0; run < flags.runs; run++) {
    for (const way of run % 2 === 0 ? [viaService, direct] : [direct, viaService])
      way.results.push(await way.run());
  }
  const median = (way: Way, pick: (r: Way['results'][number]) => number) =>
    summarize(way.results.map(pick)).median;
  console.log(
    `\n## HTTP (keep-alive) from a client pod to ${podIps.length} pods: Service vs pod IPs (medians of ${flags.runs} runs)\n`,
  );
  console.log(
    markdownTable(
      ['path', 'runs', 'requests/s', 'p99 ms'],
      [viaService, direct].map((way) => [
        way.label,
        String(way.results.length),
        median(way, (r) => r.requestsPerSecond).toFixed(0),
        ms(median(way, (r) => r.p99Ms)),
      ]),
    ),
  );
  const ratio = median(viaService, (r) => r.requestsPerSecond) / median(direct, (r) => r.requestsPerSecond);
  console.log(
    `\n${markdownTable(
      ['ratio', 'value', 'target', 'result'],
      [
        [
          'requests/s ClusterIP ÷ pod IPs',
          ratio.toFixed(2),
          `≥ ${throughputTarget}`,
          ratio >= throughputTarget ? 'PASS' : 'MISS',
        ],
      ],
    )}`,
  );
}

/** One HTTP GET with a short timeout: true when the pod answered, false when refused or timed out. */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 250, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** The `flip` pod's readiness, as a watch sees it: resolves with the time it next becomes `wanted`. */
async function readinessWatch(client: ApiClient, resourceVersion: string) {
  let waiter: { wanted: boolean; resolve: (at: number) => void } | undefined;
  const stream = await client.send('GET', podsPath, {
    query: { watch: 'true', resourceVersion, fieldSelector: 'metadata.name=flip' },
  });
  const reading = readJsonLines(stream, (value) => {
    const now = performance.now();
    if (waiter && isPodReady((value as { object: Pod }).object) === waiter.wanted) {
      waiter.resolve(now);
      waiter = undefined;
    }
  }).catch(() => {});
  return {
    next: (wanted: boolean) => new Promise<number>((resolve) => (waiter = { wanted, resolve })),
    async close() {
      stream.destroy();
      await reading;
    },
  };
}

async function readyToTraffic(
  d: TestDaemon,
  client: ApiClient,
  clusterIp: string,
  samples: number,
): Promise<void> {
  const url = `http://${clusterIp}/`;
  const { metadata } = await client.json<{ metadata: { resourceVersion: string } }>('GET', podsPath);
  const watch = await readinessWatch(client, metadata.resourceVersion);
  const delays: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const unready = watch.next(false);
      await d.ok(['exec', 'pod/flip', '--', 'rm', '-f', '/tmp/ready']);
      await unready;
      await eventually(async () => !(await answers(url)), 10_000, 'the Service to stop answering');
      const ready = watch.next(true);
      await d.ok(['exec', 'pod/flip', '--', 'touch', '/tmp/ready']);
      const readyAt = await ready;
      while (!(await answers(url))) await new Promise((resolve) => setTimeout(resolve, 1));
      delays.push(performance.now() - readyAt);
    }
  } finally {
    await watch.close();
  }
  const s = summarize(delays);
  console.log(
    `\n## From Ready (seen on a watch) to the first request through the ClusterIP answered (${samples} samples)\n`,
  );
  console.log(
    markdownTable(
      ['measurement', 'n', 'p50 ms', 'p99 ms', 'max ms', 'target', 'result'],
      [
        [
          'pod Ready → traffic through its Service',
          String(s.n),
          ms(s.median),
          ms(s.p99),
          ms(s.max),
          `p99 ≤ ${readyToTrafficTargetMs}`,
          s.p99 <= readyToTrafficTargetMs ? 'PASS' : 'MISS',
        ],
      ],
    ),
  );
}

async function main(): Promise<void> {
  const flags = readFlags();
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags.timeoutMs);
  try {
    console.log('preparing: build, marinad with its own bridge, subnets and node agent…');
    buildMarina();
    const { daemon, client } = await startBenchDaemon(cleanup);

    const binDir = mkdtempSync(join(tmpdir(), 'marina-bench-bin-'));
    cleanup.defer('remove the servers’ binaries', () => rmSync(binDir, { recursive: true, force: true }));
    buildStaticFixture('http-hostname', binDir);
    await apply(client, binDir);
    const pods = await readyPods(client, 'app=echo', replicas);
    await readyPods(client, 'app=flip', 1);
    const netnsOf = async (way: string) =>
      `${sandboxNetnsPrefix(daemonTagOf(daemon.root))}${(await readyPods(client, `client=${way}`, 1))[0]!.metadata.uid}`;
    const netns = { service: await netnsOf('service'), direct: await netnsOf('direct') };
    const echoIp = await clusterIpOf(client, 'echo');
    const answers = async () =>
      (
        await runProcess('ip', [
          'netns',
          'exec',
          netns.service,
          'busybox',
          'wget',
          '-q',
          '-O',
          '-',
          `http://${echoIp}/`,
        ])
      ).code === 0;
    await eventually(answers, 30_000, 'the echo Service to answer the client pod');
    await throughput(
      netns,
      echoIp,
      pods.map((p) => p.status!.podIP!),
      flags,
    );
    await readyToTraffic(daemon, client, await clusterIpOf(client, 'flip'), flags.samples);
    console.log(
      `\n${await versionsLine([
        ['wrk', '-v'],
        ['iptables', '-V'],
      ])}`,
    );
  } finally {
    await cleanup.run();
  }
}

runBench(main);
