/**
 * `npm run bench:network`: the cost of Marina's container networking, in one run on one machine, against
 * its own marinad (own bridge, subnets and pool):
 * 1. HTTP through a published port on 127.0.0.1 (DNAT) against the same busybox httpd reached directly at
 *    its container address, with wrk, alternating; target: published ≥ 0.9 × direct requests/s.
 * 2. `marina run --rm busybox true` on the default network minus with `--network none`, interleaved;
 *    target: ≤ 20 ms.
 * Flags: --runs N (3), --seconds N (5), --rounds N (30), --timeout-s N (900).
 */
import { ApiClient } from '../src/cli/client.ts';
import type { ContainerRecord } from '../src/engine/container-types.ts';
import type { EndpointRecord, PortBinding } from '../src/network/network-types.ts';
import { eventually, startDaemon, type TestDaemon } from '../test/harness.ts';
import { removeOwnKernelObjects, uniqueNetworkFlags } from '../test/network-kernel.ts';
import { buildMarina, runBench, versionsLine } from './bench-main.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { readCountFlags } from './flags.ts';
import { failureLines, measureInterleaved, measured } from './rounds.ts';
import { latencyTable, markdownTable, ms, type Summary, summarize } from './stats.ts';
import type { WrkResult } from './wrk-output.ts';
import { runWrk } from './wrk.ts';

function readFlags() {
  const f = readCountFlags({ runs: 3, seconds: 5, rounds: 30, 'timeout-s': 900 });
  return { runs: f.runs, seconds: f.seconds, rounds: f.rounds, timeoutMs: f['timeout-s'] * 1000 };
}

const wrkThreads = 2;
const wrkConnections = 32;
const throughputTarget = 0.9;
const runCostTargetMs = 20;

const wrk = (url: string, seconds: number) => runWrk({ url, threads: wrkThreads, connections: wrkConnections, seconds });

/** A busybox httpd serving a 1 KiB file on port 80, published on an ephemeral host port. */
async function startServer(
  daemon: TestDaemon,
  client: ApiClient,
): Promise<{ published: string; direct: string }> {
  const id = (
    await daemon.ok([
      'run',
      '-d',
      '-p',
      '127.0.0.1::80',
      'busybox',
      'sh',
      '-c',
      "mkdir -p /www && printf '%01024d' 0 > /www/index.html && exec httpd -f -p 80 -h /www",
    ])
  ).trim();
  const [binding] = await client.json<PortBinding[]>('GET', `/v1/containers/${id}/port`);
  const record = await client.json<ContainerRecord & { networks: EndpointRecord[] }>(
    'GET',
    `/v1/containers/${id}`,
  );
  const endpoint = record.networks[0];
  if (!binding || !endpoint) throw new Error(`container ${id} has no published port or no address`);
  const urls = {
    published: `http://127.0.0.1:${binding.hostPort}/index.html`,
    direct: `http://${endpoint.ip}/index.html`,
  };
  for (const url of Object.values(urls)) {
    await eventually(async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok, 10_000, url);
  }
  return urls;
}

async function throughput(urls: { published: string; direct: string }, flags: ReturnType<typeof readFlags>) {
  const results: Record<'published' | 'direct', WrkResult[]> = { published: [], direct: [] };
  console.log(
    `wrk -t${wrkThreads} -c${wrkConnections}: ${flags.runs} runs of ${flags.seconds} s each way, alternating (order flipped every run)`,
  );
  // The order flips every run: published connections are masqueraded to the bridge address, and the
  // conntrack entries they leave slow down whichever way runs right after them.
  for (let run = 0; run < flags.runs; run++) {
    const order = run % 2 === 0 ? (['published', 'direct'] as const) : (['direct', 'published'] as const);
    for (const way of order) results[way].push(await wrk(urls[way], flags.seconds));
  }
  const median = (way: 'published' | 'direct', pick: (r: WrkResult) => number) =>
    summarize(results[way].map(pick)).median;
  const rows = (['published', 'direct'] as const).map((way) => [
    way === 'published' ? `published port (${urls.published})` : `container address (${urls.direct})`,
    String(results[way].length),
    median(way, (r) => r.requestsPerSecond).toFixed(0),
    ms(median(way, (r) => r.p99Ms)),
  ]);
  console.log(`\n## HTTP to a busybox httpd: published port vs direct (medians of ${flags.runs} runs)\n`);
  console.log(markdownTable(['path', 'runs', 'requests/s', 'p99 ms'], rows));
  const rpsRatio =
    median('published', (r) => r.requestsPerSecond) / median('direct', (r) => r.requestsPerSecond);
  const p99Ratio = median('published', (r) => r.p99Ms) / median('direct', (r) => r.p99Ms);
  console.log(
    `\n${markdownTable(
      ['ratio', 'value', 'target', 'result'],
      [
        [
          'requests/s published ÷ direct',
          rpsRatio.toFixed(2),
          `≥ ${throughputTarget}`,
          rpsRatio >= throughputTarget ? 'PASS' : 'MISS',
        ],
        ['p99 published ÷ direct', p99Ratio.toFixed(2), '(shown)', ''],
      ],
    )}`,
  );
}

async function runCost(daemon: TestDaemon, rounds: number) {
  const ways = [
    measured('`marina run --rm busybox true` (default network)', () =>
      daemon.ok(['run', '--rm', 'busybox', 'true']),
    ),
    measured('`marina run --rm --network none busybox true`', () =>
      daemon.ok(['run', '--rm', '--network', 'none', 'busybox', 'true']),
    ),
  ];
  const warmup = 3;
  console.log(`\nrun latency: ${warmup} warm-up rounds, then ${rounds} measured rounds, interleaved`);
  await measureInterleaved(ways, { warmup, rounds });
  for (const line of failureLines(ways)) console.log(line);
  const [network, none] = ways.map((w) => summarize(w.samples)) as [Summary, Summary];
  console.log(`\n## The cost of networking in run (${rounds} rounds)\n`);
  console.log(latencyTable([{ label: ways[0]!.label, summary: network }, { label: ways[1]!.label, summary: none }]));
  const cost = network.median - none.median;
  console.log(
    `\n${markdownTable(
      ['difference', 'value ms', 'target', 'result'],
      [
        [
          'median default network − median --network none',
          ms(cost),
          `≤ ${runCostTargetMs}`,
          cost <= runCostTargetMs ? 'PASS' : 'MISS',
        ],
      ],
    )}`,
  );
}

async function main(): Promise<void> {
  const flags = readFlags();
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags.timeoutMs);
  try {
    console.log('preparing: build, daemon with its own bridge and subnets…');
    buildMarina();
    const network = uniqueNetworkFlags();
    const daemon = await startDaemon({ args: network.args });
    cleanup.defer('remove the daemon’s bridges, veths and rules', () =>
      removeOwnKernelObjects(daemon.root, network.bridge),
    );
    cleanup.defer('stop marinad and remove its root', () => daemon.destroy());
    const client = new ApiClient(`unix://${daemon.socket}`);
    cleanup.defer('close the API client', () => client.close());

    await throughput(await startServer(daemon, client), flags);
    await runCost(daemon, flags.rounds);
    console.log(`\n${await versionsLine([['wrk', '-v']])}`);
  } finally {
    await cleanup.run();
  }
}

runBench(main);
