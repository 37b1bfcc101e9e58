/** What every command shares: the daemon client, exits with a code, docker-style error output. */
import { MarinaError } from '../errors.ts';
import { ApiClient, DaemonError, DaemonUnreachable, defaultHost } from './client.ts';

/** Thrown to end the CLI with a specific exit code after the output was written. */
export class Exit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

let client: ApiClient | undefined;
let host = process.env.MARINA_HOST || defaultHost;

export function setHost(value: string | undefined): void {
  if (value) host = value;
}

export function api(): ApiClient {
  client ??= new ApiClient(host);
  return client;
}

export function closeApi(): void {
  client?.close();
}

/** Prints an error the way docker does and returns the exit code for it. */
export function reportError(err: unknown, usageExitCode: number): number {
  if (err instanceof Exit) return err.exitCode;
  if (err instanceof DaemonUnreachable) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  if (err instanceof DaemonError) {
    process.stderr.write(`Error response from daemon: ${err.message}\n`);
    return usageExitCode === 125 ? 125 : 1;
  }
  if (err instanceof MarinaError) {
    process.stderr.write(`marina: ${err.message}\n`);
    return usageExitCode;
  }
  process.stderr.write(`marina: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/**
 * Applies a verb to each named object like docker: prints the name on success, reports each failure
 * on stderr and exits 1 at the end if any failed.
 */
export async function forEachName(
  names: string[],
  action: (name: string) => Promise<unknown>,
  echo = true,
): Promise<void> {
  let failed = false;
  for (const name of names) {
    try {
      await action(name);
      if (echo) print(name);
    } catch (err) {
      if (err instanceof DaemonUnreachable) throw err;
      failed = true;
      process.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
    }
  }
  if (failed) throw new Exit(1);
}
