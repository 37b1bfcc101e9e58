/**
 * `npm run bench:run-latency`: how long one `run --rm busybox true` takes through Marina's CLI and native
 * API, side by side with raw `runc run` (the floor) and `podman run` (the anchor), in one run on one
 * machine; then marinad's memory idle and with many containers running. Prints markdown tables.
 * Flags: --iterations N (30), --warmup N (3), --containers N (100), --timeout-s N (900).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ApiClient, readJsonLines } from '../src/cli/client.ts';
import type { ContainerRecord, ContainerSummary } from '../src/engine/container-types.ts';
import { cleanupRoot, projectRoot, type TestDaemon } from '../test/harness.ts';
import { buildMarina, runBench, startBenchDaemon, versionsLine } from './bench-main.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { readCountFlags } from './flags.ts';
import { type Anchor, preparePodman, prepareRuncFloor } from './image-anchors.ts';
import { failureLines, type Measured, measureInterleaved, measured } from './rounds.ts';
import { latencyTable, markdownTable, mib, parseVmRss, ratioTable, summarize } from './stats.ts';

function readFlags() {
  const f = readCountFlags({ iterations: 30, warmup: 3, containers: 100, 'timeout-s': 900 });
  return { iterations: f.iterations, warmup: f.warmup, containers: f.containers, timeoutMs: f['timeout-s'] * 1000 };
}

function marinadRss(daemon: TestDaemon): number {
  // marinad keeps its pid in the root's lock file.
  const pid = readFileSync(join(daemon.root, 'marinad.lock'), 'utf8').trim();
  const rss = parseVmRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (rss === undefined) throw new Error(`no VmRSS for marinad (pid ${pid})`);
  return rss;
}

function createContainer(
  client: ApiClient,
  cmd: string[],
  options: { autoRemove?: boolean; networkMode?: string } = {},
): Promise<ContainerRecord> {
  return client.json<ContainerRecord>('POST', '/v1/containers', {
    json: { image: 'busybox', cmd, ...options },
  });
}

/**
 * What the CLI does for `run --rm --network none busybox true`, minus attach (`true` prints nothing), from
 * a warm client. Without a network, like the runc floor it is compared with.
 */
async function apiRunTrue(client: ApiClient): Promise<void> {
  const { id } = await createContainer(client, ['true'], { autoRemove: true, networkMode: 'none' });
  // marinad sends the wait's headers once the wait is registered: from then on the exit cannot be missed.
  const waiting = await client.send('POST', `/v1/containers/${id}/wait`, { query: { condition: 'removed' } });
  await client.json('POST', `/v1/containers/${id}/start`);
  let result: Record<string, unknown> | undefined;
  await readJsonLines(waiting, (value) => {
    result = value;
  });
  if (result?.exitCode !== 0) throw new Error(`container ${id}: wait answered ${JSON.stringify(result)}`);
}

function listContainers(client: ApiClient, all: boolean): Promise<ContainerSummary[]> {
  return client.json<ContainerSummary[]>('GET', '/v1/containers', { query: { all } });
}

async function manyContainers(client: ApiClient, daemon: TestDaemon, count: number): Promise<string[][]> {
  const t0 = performance.now();
  const ids = await Promise.all(
    Array.from({ length: count }, async () => {
      const { id } = await createContainer(client, ['sleep', '300']);
      await client.json('POST', `/v1/containers/${id}/start`);
      return id;
    }),
  );
  const startedMs = performance.now() - t0;
  const running = (await listContainers(client, false)).filter(
    (c) => ids.includes(c.id) && c.status === 'running',
  ).length;
  if (running !== count)
    throw new Error(`${running} of ${count} containers are running after start returned`);
  const rss = marinadRss(daemon);
  const t1 = performance.now();
  await Promise.all(
    ids.map((id) => client.json('DELETE', `/v1/containers/${id}`, { query: { force: true } })),
  );
  const removedMs = performance.now() - t1;
  const left = (await listContainers(client, true)).filter((c) => ids.includes(c.id)).length;
  return [
    [
      `start ${count} \`busybox sleep 300\` concurrently (API), until all running`,
      `${(startedMs / 1000).toFixed(2)} s`,
    ],
    [`marinad RSS with ${count} running`, mib(rss)],
    [
      `remove all ${count} (force) concurrently`,
      `${(removedMs / 1000).toFixed(2)} s${left ? ` (${left} left!)` : ''}`,
    ],
  ];
}

async function main(): Promise<void> {
  const flags = readFlags();
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags.timeoutMs);
  try {
    console.log('preparing: dependencies (with podman), build, daemon, anchors…');
    execFileSync('bash', [join(projectRoot, 'scripts/install-deps.sh'), '--with-podman'], {
      stdio: 'inherit',
    });
    buildMarina();

    const work = mkdtempSync(join(tmpdir(), 'marina-bench-'));
    cleanup.defer('remove the bench directory', () => cleanupRoot(work));
    const { daemon, client } = await startBenchDaemon(cleanup);
    const rssAtStart = marinadRss(daemon);

    const imageTar = join(work, 'busybox.tar');
    await daemon.ok(['image', 'save', '-o', imageTar, 'busybox']);
    const runc: Anchor = prepareRuncFloor(imageTar, join(work, 'runc-floor'));
    cleanup.defer('remove the runc floor', () => runc.dispose());
    const podman: Anchor = await preparePodman(imageTar, join(work, 'podman'));
    cleanup.defer('remove podman storage and cgroups', () => podman.dispose());

    // Podman and the runc floor run without a network, so the ratios compare Marina without one too; the
    // default (bridge) network's cost is shown beside them.
    const ways = [
      measured('marina CLI: `marina run --rm --network none busybox true`', () =>
        daemon.ok(['run', '--rm', '--network', 'none', 'busybox', 'true']),
      ),
      measured('native API (--network none): create (autoRemove), wait, start', () => apiRunTrue(client)),
      measured('runc run (floor)', runc.runTrue),
      measured('podman run --rm --network=none', podman.runTrue),
      measured('marina CLI, default network: `marina run --rm busybox true`', () =>
        daemon.ok(['run', '--rm', 'busybox', 'true']),
      ),
    ];
    const [cli, api, floor, anchor] = ways as [Measured, Measured, Measured, Measured, Measured];
    console.log(`warm-up: ${flags.warmup} round(s); then ${flags.iterations} measured rounds, interleaved`);
    await measureInterleaved(ways, { warmup: flags.warmup, rounds: flags.iterations });
    const rssIdle = marinadRss(daemon);

    const summaries = new Map(
      ways.filter((m) => m.samples.length > 0).map((m) => [m, summarize(m.samples)]),
    );
    console.log(`\n## run --rm busybox true: wall time per container (${flags.iterations} rounds)\n`);
    console.log(latencyTable([...summaries].map(([m, summary]) => ({ label: m.label, summary }))));
    for (const line of failureLines(ways)) console.log(`\n${line}`);
    const ratio = (a: Measured, b: Measured) => summaries.get(a)!.median / summaries.get(b)!.median;
    const checks = [];
    if (summaries.has(cli) && summaries.has(anchor)) {
      checks.push({ label: 'CLI median ÷ podman median (both --network none)', ratio: ratio(cli, anchor), target: 0.6 });
    }
    if (summaries.has(api) && summaries.has(floor)) {
      checks.push({ label: 'API median ÷ runc median', ratio: ratio(api, floor), target: 1.5 });
    }
    console.log(`\n${ratioTable(checks)}`);

    console.log('\n## marinad memory and many containers\n');
    const rows = [
      ['marinad RSS after start (busybox seeded)', mib(rssAtStart)],
      ['marinad RSS idle, after the runs above', mib(rssIdle)],
      ...(await manyContainers(client, daemon, flags.containers)),
    ];
    console.log(markdownTable(['measurement', 'value'], rows));
    const versions = await versionsLine([
      ['runc', '--version'],
      ['podman', '--version'],
    ]);
    console.log(`\n${versions}`);
  } finally {
    await cleanup.run();
  }
}

runBench(main);
