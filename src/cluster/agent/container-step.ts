/**
 * What to do next with one pod container, from its latest engine container and the pod's restart policy:
 * the kubelet's per-container decision, pure. Init containers restart only on failure (and never under
 * restartPolicy Never); app containers follow Always / OnFailure / Never; a restart waits out the
 * crash-loop back-off counted from the exit.
 */
import type { ContainerRole } from './pod-labels.ts';
import type { AttemptObservation } from './pod-status.ts';

export type ContainerStep =
  | { action: 'create'; attempt: number }
  | { action: 'start' }
  | { action: 'backoff'; remainingMs: number }
  | { action: 'kill'; reason: string }
  | { action: 'running' }
  | { action: 'done'; succeeded: boolean };

export interface StepInput {
  role: ContainerRole;
  restartPolicy: string;
  current: AttemptObservation | undefined;
  /** The current attempt's number (its restart count). */
  attempt: number;
  /** Why a probe wants the running container killed (liveness or startup failed), if it does. */
  unhealthy?: string;
  /** The back-off owed after the current attempt's exit. */
  restartDelayMs: number;
  now: number;
}

export function containerStep(input: StepInput): ContainerStep {
  const { current } = input;
  if (!current) return { action: 'create', attempt: 0 };
  if (current.status === 'created') return { action: 'start' };
  if (current.status === 'running')
    return input.unhealthy ? { action: 'kill', reason: input.unhealthy } : { action: 'running' };
  if (!willRestart(input.role, input.restartPolicy, current.exitCode))
    return { action: 'done', succeeded: current.exitCode === 0 };
  const finished = Date.parse(current.finishedAt);
  const remainingMs = Number.isNaN(finished) ? 0 : finished + input.restartDelayMs - input.now;
  return remainingMs > 0
    ? { action: 'backoff', remainingMs }
    : { action: 'create', attempt: input.attempt + 1 };
}

export function willRestart(role: ContainerRole, restartPolicy: string, exitCode: number): boolean {
  if (role === 'init') return exitCode !== 0 && restartPolicy !== 'Never';
  return restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && exitCode !== 0);
}
