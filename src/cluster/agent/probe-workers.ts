/**
 * One worker per probe of each running container, as the kubelet's prober runs them: it waits the
 * initial delay (counted from the container's start), then probes every period and folds the outcomes
 * into the probe's state. Liveness and readiness wait for the startup probe to succeed. When a result
 * flips, the pod is queued for a sync, which reads `ready`, `started` and `unhealthy` from here.
 */
import type { Logger } from 'pino';
import type { Container } from '../resources/pod-schemas.ts';
import { type ActionDeps, runHandler } from './probe-actions.ts';
import {
  initialProbeState,
  type ProbeKind,
  type ProbeState,
  probeTiming,
  recordProbe,
} from './probe-tracker.ts';
import { abortableSleep } from '../../abortable-sleep.ts';

export interface ProbeTarget {
  podKey: string;
  containerId: string;
  container: Container;
  podIP: string;
  startedAt: string;
}

interface ContainerProbes {
  stop: AbortController;
  states: Map<ProbeKind, ProbeState>;
}

const probeOf = (container: Container, kind: ProbeKind) =>
  kind === 'startup'
    ? container.startupProbe
    : kind === 'liveness'
      ? container.livenessProbe
      : container.readinessProbe;

export class ProbeWorkers {
  readonly #deps: ActionDeps;
  readonly #onChange: (podKey: string) => void;
  readonly #log: Logger;
  readonly #containers = new Map<string, ContainerProbes>();

  constructor(deps: ActionDeps, onChange: (podKey: string) => void, logger: Logger) {
    this.#deps = deps;
    this.#onChange = onChange;
    this.#log = logger;
  }

  /** Starts the workers of a running container (once; later calls change nothing). */
  ensure(target: ProbeTarget): void {
    if (this.#containers.has(target.containerId)) return;
    const entry: ContainerProbes = { stop: new AbortController(), states: new Map() };
    this.#containers.set(target.containerId, entry);
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      if (!probeOf(target.container, kind)) continue;
      entry.states.set(kind, initialProbeState(kind));
      this.#work(kind, target, entry).catch((err) =>
        this.#log.warn({ err, container: target.containerId, kind }, 'probe worker failed'),
      );
    }
  }

  /** Stops the workers of these containers (exited, killed or removed). */
  stop(containerIds: Iterable<string>): void {
    for (const id of containerIds) {
      this.#containers.get(id)?.stop.abort();
      this.#containers.delete(id);
    }
  }

  stopAll(): void {
    this.stop([...this.#containers.keys()]);
  }

  /** Started: the startup probe succeeded, or there is none. */
  started(containerId: string): boolean {
    const state = this.#containers.get(containerId)?.states.get('startup');
    return !state || state.result === 'success';
  }

  /** Ready: started and the readiness probe succeeds (or there is none). */
  ready(containerId: string): boolean {
    const state = this.#containers.get(containerId)?.states.get('readiness');
    return this.started(containerId) && (!state || state.result === 'success');
  }

  /** Why the container must be killed and restarted, if a probe says so. */
  unhealthy(containerId: string): string | undefined {
    const states = this.#containers.get(containerId)?.states;
    if (states?.get('startup')?.result === 'failure') return 'Startup probe failed';
    if (states?.get('liveness')?.result === 'failure') return 'Liveness probe failed';
    return undefined;
  }

  async #work(kind: ProbeKind, target: ProbeTarget, entry: ContainerProbes): Promise<void> {
    const probe = probeOf(target.container, kind)!;
    const timing = probeTiming(kind, probe);
    const { signal } = entry.stop;
    const started = Date.parse(target.startedAt);
    const sinceStart = Number.isNaN(started) ? 0 : Date.now() - started;
    await abortableSleep(Math.max(0, timing.initialDelayMs - sinceStart), signal);
    while (!signal.aborted) {
      const state = entry.states.get(kind)!;
      if (kind === 'startup' && state.result === 'success') return;
      if (kind === 'startup' || this.started(target.containerId)) {
        const ok = await runHandler(this.#deps, probe, target, timing.timeoutMs);
        if (signal.aborted) return;
        const next = recordProbe(state, ok, timing);
        entry.states.set(kind, next);
        if (next.result !== state.result) this.#onChange(target.podKey);
      }
      await abortableSleep(timing.periodMs, signal);
    }
  }
}
