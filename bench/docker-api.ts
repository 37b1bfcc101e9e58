/**
 * `npm run bench:docker-api`: what the Docker-compatible path costs. `docker run --rm busybox true` (docker
 * CLI 28 → marinad's Docker socket) against `marina run --rm busybox true` (marina CLI → native API), on
 * the same daemon, interleaved round by round so drift hits both alike. Both are a CLI process doing
 * create, attach, wait and start, so the difference is the Docker API plus the clients themselves (a Go
 * binary against a Node one). The same create, wait (removed) and start from one warm HTTP client on each
 * socket isolates the API: that pair is what the target is on, the Docker path's median at most 10% above
 * the native one's.
 * Flags: --iterations N (20), --warmup N (3), --timeout-s N (600).
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ApiClient, readJsonLines } from '../src/cli/client.ts';
import { type CliResult, projectRoot, startDaemon } from '../test/harness.ts';
import { runBench, versionsLine } from './bench-main.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { readCountFlags } from './flags.ts';
import { markdownTable, ms, ratioTable, summarize } from './stats.ts';

interface Path {
  label: string;
  run: () => Promise<CliResult | undefined>;
  samples: number[];
}

/**
 * create (auto-remove), wait until removed, start: what a client does for `run --rm`, minus attach (`true`
 * prints nothing). The wait's headers arrive once the wait is registered, so the exit cannot be missed.
 */
async function apiRunTrue(
  client: ApiClient,
  paths: { create: string; container: (id: string) => string },
  body: unknown,
  exitCode: (result: Record<string, unknown>) => unknown,
): Promise<undefined> {
  const { id, Id } = await client.json<{ id?: string; Id?: string }>('POST', paths.create, { json: body });
  const container = paths.container((id ?? Id)!);
  const waiting = await client.send('POST', `${container}/wait`, { query: { condition: 'removed' } });
  await client.send('POST', `${container}/start`);
  let result: Record<string, unknown> = {};
  await readJsonLines(waiting, (value) => {
    result = value;
  });
  if (exitCode(result) !== 0)
    throw new Error(`container ${id ?? Id}: wait answered ${JSON.stringify(result)}`);
  return undefined;
}

/** Nearest-rank percentile (p in 0–100) of unsorted samples. */
function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timeOnce(path: Path): Promise<number> {
  const t0 = performance.now();
  const r = await path.run();
  const elapsed = performance.now() - t0;
  // A failed run is not a fast run: stop rather than report a number for something that did not work.
  if (r && r.code !== 0) throw new Error(`${path.label} exited ${r.code}: ${r.stderr.trim()}`);
  return elapsed;
}

async function main(): Promise<void> {
  const flags = readCountFlags({ iterations: 20, warmup: 3, 'timeout-s': 600 });
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags['timeout-s'] * 1000);
  try {
    console.log('preparing: dependencies, build, daemon…');
    execFileSync('bash', [`${projectRoot}/scripts/install-deps.sh`], { stdio: 'inherit' });
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: projectRoot, stdio: 'inherit' });
    const daemon = await startDaemon();
    cleanup.defer('stop marinad and remove its root', () => daemon.destroy());
    const nativeClient = new ApiClient(`unix://${daemon.socket}`);
    cleanup.defer('close the native API client', () => nativeClient.close());
    const dockerClient = new ApiClient(`unix://${daemon.dockerSocket}`);
    cleanup.defer('close the Docker API client', () => dockerClient.close());

    const paths: Path[] = [
      {
        label: '`marina run --rm busybox true` (native API)',
        run: () => daemon.marina(['run', '--rm', 'busybox', 'true']),
        samples: [],
      },
      {
        label: '`docker run --rm busybox true` (Docker API)',
        run: () => daemon.docker(['run', '--rm', 'busybox', 'true']),
        samples: [],
      },
      {
        label: 'native API, warm client: create (autoRemove), wait, start',
        run: () =>
          apiRunTrue(
            nativeClient,
            { create: '/v1/containers', container: (id) => `/v1/containers/${id}` },
            { image: 'busybox', cmd: ['true'], autoRemove: true },
            (r) => r.exitCode,
          ),
        samples: [],
      },
      {
        label: 'Docker API, warm client: create (AutoRemove), wait, start',
        run: () =>
          apiRunTrue(
            dockerClient,
            { create: '/v1.43/containers/create', container: (id) => `/v1.43/containers/${id}` },
            { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true } },
            (r) => r.StatusCode,
          ),
        samples: [],
      },
    ];
    const [nativeCli, dockerCli, nativeApi, dockerApi] = paths as [Path, Path, Path, Path];
    console.log(`warm-up: ${flags.warmup} round(s); then ${flags.iterations} measured rounds, interleaved`);
    for (let round = 0; round < flags.warmup + flags.iterations; round++) {
      // Alternate which goes first, so neither always runs right after the other's teardown.
      for (const path of round % 2 === 0 ? paths : [...paths].reverse()) {
        const elapsed = await timeOnce(path);
        if (round >= flags.warmup) path.samples.push(elapsed);
      }
    }

    console.log(
      `\n## run --rm busybox true: native API against Docker API, same daemon (${flags.iterations} rounds)\n`,
    );
    console.log(
      markdownTable(
        ['path', 'n', 'min ms', 'median ms', 'p90 ms', 'max ms'],
        paths.map((p) => {
          const s = summarize(p.samples);
          return [p.label, String(s.n), ms(s.min), ms(s.median), ms(percentile(p.samples, 90)), ms(s.max)];
        }),
      ),
    );
    const ratio = (a: Path, b: Path) => summarize(a.samples).median / summarize(b.samples).median;
    console.log(
      `\n${ratioTable([
        { label: 'Docker API median ÷ native API median', ratio: ratio(dockerApi, nativeApi), target: 1.1 },
        {
          label: 'docker run median ÷ marina run median (CLIs)',
          ratio: ratio(dockerCli, nativeCli),
          target: 1.1,
        },
      ])}`,
    );
    console.log(`\n${await versionsLine([['docker', '--version']])}`);
  } finally {
    await cleanup.run();
  }
}

runBench(main);
