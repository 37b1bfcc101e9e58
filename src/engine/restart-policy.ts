/** Whether and when a container that exited is started again, by Docker's rules. */
import type { RestartPolicy } from './container-types.ts';

export const initialRestartDelayMs = 100;
export const maxRestartDelayMs = 60_000;
/** A run at least this long counts as healthy and resets the backoff. */
export const healthyRunMs = 10_000;

export interface ExitFacts {
  policy: RestartPolicy | undefined;
  exitCode: number;
  /** The user stopped or killed it (stop, kill, restart's own stop): no policy restarts it. */
  explicitlyStopped: boolean;
  /** Restarts done by the policy so far. */
  restartCount: number;
  /** How long the run that just ended lasted. */
  ranForMs: number;
  /** The delay used before the previous restart, 0 if none. */
  previousDelayMs: number;
}

export type RestartDecision = { restart: false } | { restart: true; delayMs: number };

export function decideRestart(facts: ExitFacts): RestartDecision {
  const policy = facts.policy ?? { name: 'no' };
  if (facts.explicitlyStopped || policy.name === 'no') return { restart: false };
  if (policy.name === 'on-failure') {
    if (facts.exitCode === 0) return { restart: false };
    const max = policy.maximumRetryCount ?? 0;
    if (max > 0 && facts.restartCount >= max) return { restart: false };
  }
  return { restart: true, delayMs: nextDelay(facts.previousDelayMs, facts.ranForMs) };
}

/** 100 ms, doubling, at most a minute; back to 100 ms after a healthy run. */
export function nextDelay(previousDelayMs: number, ranForMs: number): number {
  if (previousDelayMs <= 0 || ranForMs >= healthyRunMs) return initialRestartDelayMs;
  return Math.min(previousDelayMs * 2, maxRestartDelayMs);
}

/** At daemon start, `always` and `unless-stopped` containers come back unless the user stopped them. */
export function startsWithDaemon(policy: RestartPolicy | undefined, explicitlyStopped: boolean): boolean {
  return !explicitlyStopped && (policy?.name === 'always' || policy?.name === 'unless-stopped');
}
