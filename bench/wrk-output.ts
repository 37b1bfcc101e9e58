/** Reads wrk's `--latency` report: requests per second and the 99th percentile latency. Pure. */

const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

export interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
  /** Connect, read, write and timeout errors plus non-2xx/3xx responses. */
  errors: number;
}

export function parseWrk(output: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)$/m.exec(output);
  if (!rps || !p99)
    throw new Error(`wrk printed no Requests/sec or 99% line (was --latency given?):\n${output}`);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const errors =
    (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) +
    Number(non2xx?.[1] ?? 0);
  return { requestsPerSecond: Number(rps[1]), p99Ms: Number(p99[1]) * unitMs[p99[2]!]!, errors };
}
