/**
 * What every bench script shares: building Marina and starting its daemon, the versions line under its
 * report, and how it fails.
 */
import { execFileSync } from 'node:child_process';
import { ApiClient } from '../src/cli/client.ts';
import { type DaemonOptions, projectRoot, runProcess, startDaemon, type TestDaemon } from '../test/harness.ts';
import type { CleanupStack } from './cleanup-stack.ts';

/** Builds Marina as it is checked out, so the numbers are the working tree's. */
export function buildMarina(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: projectRoot, stdio: 'inherit' });
}

/**
 * A marinad of the bench's own (own root, socket, bridge and subnets) and a client of its API, both
 * undone by `cleanup` — the daemon with everything it left in the kernel.
 */
export async function startBenchDaemon(
  cleanup: CleanupStack,
  options: DaemonOptions = {},
): Promise<{ daemon: TestDaemon; client: ApiClient }> {
  const daemon = await startDaemon(options);
  cleanup.defer('stop marinad, remove its root and its kernel objects', () => daemon.destroy());
  const client = new ApiClient(`unix://${daemon.socket}`);
  cleanup.defer('close the API client', () => client.close());
  return { daemon, client };
}

/**
 * The last line of a bench's report: the first line each tool prints for `[cmd, ...args]` (its version),
 * then node's, so that numbers are always read beside the versions that produced them.
 */
export async function versionsLine(tools: readonly (readonly [string, ...string[]])[]): Promise<string> {
  const versions = await Promise.all(
    tools.map(async ([cmd, ...args]) => (await runProcess(cmd, args)).stdout.trim().split('\n')[0]),
  );
  return `${versions.join('; ')}; node ${process.version}`;
}

/** Runs a bench's `main`; a failure is one line on stderr and exit code 1 rather than a stack trace. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
