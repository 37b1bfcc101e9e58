/**
 * One health probe: the healthcheck's command run as an exec in the container (its user, env and working
 * directory, as Docker does), exit code 0 healthy, anything else, a start failure or the timeout a failure.
 * The exit code comes from the exec's `exec_die` event, subscribed to before the exec starts.
 */
import type { Readable } from 'node:stream';
import { isMarinaError } from '../errors.ts';
import type { OutputFrame } from '../runtime/runtime.ts';
import type { HealthcheckConfig, HealthProbeResult } from './container-types.ts';
import type { EventSource, ExecService } from './services.ts';

/** Docker's cap on the output kept per probe. */
export const maxProbeOutputBytes = 4096;
/** Reported when the probe did not finish in time or could not run at all. */
const failedToRunExitCode = -1;

export interface ProbeDeps {
  execs: ExecService;
  events: EventSource;
}

export async function runHealthProbe(
  deps: ProbeDeps,
  containerId: string,
  config: HealthcheckConfig,
): Promise<HealthProbeResult> {
  const start = new Date().toISOString();
  const result = (exitCode: number, output: string): HealthProbeResult => ({
    start,
    end: new Date().toISOString(),
    exitCode,
    output,
  });
  const done = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<HealthProbeResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          result(failedToRunExitCode, `Health check exceeded timeout (${durationText(config.timeoutMs)})`),
        ),
      config.timeoutMs,
    );
  });
  const probe = async (): Promise<HealthProbeResult> => {
    try {
      const exec = await deps.execs.create(containerId, { cmd: config.command });
      const exitCode = execExitCode(deps.events, exec.id, done.signal);
      const stdio = await deps.execs.start(exec.id);
      // A probe that timed out leaves its process to end on its own; only our end of its stdio is closed.
      done.signal.addEventListener('abort', () => stdio.close(), { once: true });
      if (done.signal.aborted) stdio.close();
      const [code, output] = await Promise.all([exitCode, collectOutput(stdio.output)]);
      return result(code, output);
    } catch (err) {
      const reported = isMarinaError(err) ? err.details?.exitCode : undefined;
      return result(
        typeof reported === 'number' ? reported : failedToRunExitCode,
        err instanceof Error ? err.message : String(err),
      );
    }
  };
  try {
    return await Promise.race([probe(), timedOut]);
  } finally {
    clearTimeout(timer);
    done.abort();
  }
}

/** Subscribes at once; resolves with the exec's exit code, or the failure code if `signal` ends the wait first. */
function execExitCode(events: EventSource, execId: string, signal: AbortSignal): Promise<number> {
  const died = events.subscribe(
    {
      filter: (e) =>
        e.type === 'container' && e.action === 'exec_die' && e.actor.attributes.execID === execId,
    },
    signal,
  );
  return (async () => {
    for await (const event of died) return Number(event.actor.attributes.exitCode ?? failedToRunExitCode);
    return failedToRunExitCode;
  })();
}

/** stdout and stderr in order, the first 4 KiB kept and the rest drained. */
async function collectOutput(output: Readable): Promise<string> {
  const kept: Buffer[] = [];
  let size = 0;
  try {
    for await (const frame of output as AsyncIterable<OutputFrame>) {
      if (size >= maxProbeOutputBytes) continue;
      const part = frame.data.subarray(0, maxProbeOutputBytes - size);
      kept.push(part);
      size += part.length;
    }
  } catch {
    // Our end was closed (timeout): what arrived so far is the output.
  }
  return Buffer.concat(kept).toString();
}

function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
