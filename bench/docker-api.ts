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
import { ApiClient, readJsonLines } from '../src/cli/client.ts';
import { type CliResult, projectRoot } from '../test/harness.ts';
import { buildMarina, runBench, startBenchDaemon, versionsLine } from './bench-main.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { readCountFlags } from './flags.ts';
import { failureLines, type Measured, measureInterleaved, measured } from './rounds.ts';
import { latencyTable, ratioTable, summarize } from './stats.ts';

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

/** A CLI run that exited non-zero is a failed run. */
async function succeeded(result: Promise<CliResult>): Promise<void> {
  const r = await result;
  if (r.code !== 0) throw new Error(`exited ${r.code}: ${r.stderr.trim()}`);
}

async function main(): Promise<void> {
  const flags = readCountFlags({ iterations: 20, warmup: 3, 'timeout-s': 600 });
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags['timeout-s'] * 1000);
  try {
    console.log('preparing: dependencies, build, daemon…');
    execFileSync('bash', [`${projectRoot}/scripts/install-deps.sh`], { stdio: 'inherit' });
    buildMarina();
    const { daemon, client: nativeClient } = await startBenchDaemon(cleanup);
    const dockerClient = new ApiClient(`unix://${daemon.dockerSocket}`);
    cleanup.defer('close the Docker API client', () => dockerClient.close());

    const paths = [
      measured('`marina run --rm busybox true` (native API)', () =>
        succeeded(daemon.marina(['run', '--rm', 'busybox', 'true'])),
      ),
      measured('`docker run --rm busybox true` (Docker API)', () =>
        succeeded(daemon.docker(['run', '--rm', 'busybox', 'true'])),
      ),
      measured('native API, warm client: create (autoRemove), wait, start', () =>
        apiRunTrue(
          nativeClient,
          { create: '/v1/containers', container: (id) => `/v1/containers/${id}` },
          { image: 'busybox', cmd: ['true'], autoRemove: true },
          (r) => r.exitCode,
        ),
      ),
      measured('Docker API, warm client: create (AutoRemove), wait, start', () =>
        apiRunTrue(
          dockerClient,
          { create: '/v1.43/containers/create', container: (id) => `/v1.43/containers/${id}` },
          { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true } },
          (r) => r.StatusCode,
        ),
      ),
    ];
    const [nativeCli, dockerCli, nativeApi, dockerApi] = paths as [Measured, Measured, Measured, Measured];
    console.log(`warm-up: ${flags.warmup} round(s); then ${flags.iterations} measured rounds, interleaved`);
    await measureInterleaved(paths, { warmup: flags.warmup, rounds: flags.iterations });

    console.log(
      `\n## run --rm busybox true: native API against Docker API, same daemon (${flags.iterations} rounds)\n`,
    );
    for (const line of failureLines(paths)) console.log(`${line}\n`);
    console.log(latencyTable(paths.map((p) => ({ label: p.label, summary: summarize(p.samples) }))));
    const ratio = (a: Measured, b: Measured) => summarize(a.samples).median / summarize(b.samples).median;
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
