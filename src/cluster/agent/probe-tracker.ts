/**
 * Probe bookkeeping, as the kubelet's prober keeps it: a probe's result only flips after
 * `successThreshold` successes or `failureThreshold` failures in a row; readiness starts as failure (a
 * container is not ready until proven), liveness as success, startup as unknown until it succeeds. Pure:
 * the probe workers feed outcomes in and act on the transitions.
 */
import type { Probe } from '../resources/pod-schemas.ts';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';
export type ProbeResult = 'unknown' | 'success' | 'failure';

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ProbeState {
  result: ProbeResult;
  successes: number;
  failures: number;
}

/** Kubernetes' defaults for absent fields; liveness and startup need one success, whatever the spec says. */
export function probeTiming(kind: ProbeKind, probe: Probe): ProbeTiming {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, probe.periodSeconds ?? 10) * 1000,
    timeoutMs: Math.max(1, probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: kind === 'readiness' ? Math.max(1, probe.successThreshold ?? 1) : 1,
    failureThreshold: Math.max(1, probe.failureThreshold ?? 3),
  };
}

export function initialProbeState(kind: ProbeKind): ProbeState {
  const result: ProbeResult = kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
  return { result, successes: 0, failures: 0 };
}

export function recordProbe(state: ProbeState, succeeded: boolean, timing: ProbeTiming): ProbeState {
  const successes = succeeded ? state.successes + 1 : 0;
  const failures = succeeded ? 0 : state.failures + 1;
  let { result } = state;
  if (succeeded && successes >= timing.successThreshold) result = 'success';
  if (!succeeded && failures >= timing.failureThreshold) result = 'failure';
  return { result, successes, failures };
}
