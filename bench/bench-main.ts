/** The two ends every bench script shares: the versions line under its report, and how it fails. */
import { runProcess } from '../test/harness.ts';

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
