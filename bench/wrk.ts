/** Runs wrk (optionally inside a network namespace) and reads its report; any error fails the run. */
import { runProcess } from '../test/harness.ts';
import { parseWrk, type WrkResult } from './wrk-output.ts';

export interface WrkRun {
  url: string;
  threads: number;
  connections: number;
  seconds: number;
  /** A named network namespace (`ip netns`) to run it in, e.g. a client pod's. */
  netns?: string;
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const wrk = ['wrk', `-t${run.threads}`, `-c${run.connections}`, `-d${run.seconds}s`, '--latency', run.url];
  const [cmd, ...args] = run.netns ? ['ip', 'netns', 'exec', run.netns, ...wrk] : wrk;
  const r = await runProcess(cmd!, args, { timeoutMs: (run.seconds + 30) * 1000 });
  if (r.code !== 0) throw new Error(`wrk ${run.url} exited ${r.code}: ${r.stderr}${r.stdout}`);
  const result = parseWrk(r.stdout);
  if (result.errors > 0) throw new Error(`wrk ${run.url}: ${result.errors} errors:\n${r.stdout}`);
  return result;
}
