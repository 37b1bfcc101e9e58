/**
 * The kubelet's crash-loop back-off: the first restart of a container that exited is immediate, then the
 * waits double from `baseMs` (10 s) up to `maxMs` (5 min); a container that ran for twice the cap before
 * exiting starts over. Pure: the agent keeps one BackoffState per pod container in memory (as the
 * kubelet does), so a restarted agent forgives past crashes.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const kubeletBackoff: BackoffPolicy = { baseMs: 10_000, maxMs: 300_000 };

export interface BackoffState {
  /** Exits in a row that counted (ran shorter than twice the cap). */
  crashes: number;
  /** The engine container whose exit was last counted, so one exit is counted once. */
  lastContainerId: string;
}

/** Counts the exit of `containerId` that ran `ranForMs`; the same exit seen again changes nothing. */
export function countExit(
  state: BackoffState | undefined,
  containerId: string,
  ranForMs: number,
  policy: BackoffPolicy,
): BackoffState {
  if (state?.lastContainerId === containerId) return state;
  const longRun = ranForMs >= 2 * policy.maxMs;
  return { crashes: longRun || !state ? 1 : state.crashes + 1, lastContainerId: containerId };
}

/** How long after its exit the container may be restarted. */
export function restartDelayMs(state: BackoffState, policy: BackoffPolicy): number {
  if (state.crashes <= 1) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (state.crashes - 2));
}
