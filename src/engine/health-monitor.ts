/**
 * Healthchecks: the decision a probe's result leads to (pure, `nextHealth`) and the scheduler that runs
 * one probe per interval for every running container that has a healthcheck (`HealthMonitor`). What a
 * probe runs and what an unhealthy container's action does are the caller's (health-probe.ts and the
 * container service).
 */
import type { Logger } from 'pino';
import type {
  ContainerHealth,
  ContainerState,
  HealthcheckConfig,
  HealthProbeResult,
} from './container-types.ts';

/** Docker keeps this many results in `State.Health.Log`. */
export const keptProbeResults = 5;

export const startingHealth = (log: HealthProbeResult[] = []): ContainerHealth => ({
  status: 'starting',
  failingStreak: 0,
  log,
});

export interface HealthStep {
  health: ContainerHealth;
  /** The status changed (a `health_status` event is due). */
  changed: boolean;
  /** The container just turned unhealthy and its on-failure action is not `none`. */
  act: boolean;
}

/**
 * Like Docker: a success makes the container healthy and clears the streak; a failure extends the streak,
 * and `retries` failures in a row make it unhealthy. While the container has never been healthy and is
 * still in its start period, failures are logged but not counted.
 */
export function nextHealth(
  state: Pick<ContainerState, 'health' | 'startedAt'>,
  result: HealthProbeResult,
  config: HealthcheckConfig,
  now: number,
): HealthStep {
  const previous = state.health ?? startingHealth();
  const log = [...previous.log, result].slice(-keptProbeResults);
  let health: ContainerHealth;
  if (result.exitCode === 0) {
    health = { status: 'healthy', failingStreak: 0, log };
  } else {
    const inStartPeriod =
      previous.status === 'starting' && now - Date.parse(state.startedAt) < config.startPeriodMs;
    const failingStreak = previous.failingStreak + (inStartPeriod ? 0 : 1);
    health = { status: failingStreak >= config.retries ? 'unhealthy' : previous.status, failingStreak, log };
  }
  const changed = health.status !== previous.status;
  return { health, changed, act: changed && health.status === 'unhealthy' && config.onFailure !== 'none' };
}

/** What `ps` adds to `Up …` for a running container with a healthcheck, in Docker's words. */
export function healthStatusSuffix(state: Pick<ContainerState, 'status' | 'health'>): string {
  if (state.status !== 'running' || !state.health) return '';
  return state.health.status === 'starting' ? ' (health: starting)' : ` (${state.health.status})`;
}

export interface HealthMonitorDeps {
  logger: Logger;
  /** Runs the probe once; never rejects (a probe that cannot run is a failed result). */
  probe(id: string, config: HealthcheckConfig): Promise<HealthProbeResult>;
  /** Records the result and applies what it leads to. */
  report(id: string, result: HealthProbeResult): Promise<void>;
}

/**
 * One probe loop per armed container: wait the interval, probe, report, again, so probes of one container
 * never overlap. A loop that was disarmed (or re-armed) meanwhile drops its result and ends.
 */
export class HealthMonitor {
  private readonly deps: HealthMonitorDeps;
  private readonly loops = new Map<string, { timer: NodeJS.Timeout | undefined }>();

  constructor(deps: HealthMonitorDeps) {
    this.deps = deps;
  }

  /** Starts probing `id` (after one interval, as Docker does), replacing any loop it had. */
  arm(id: string, config: HealthcheckConfig): void {
    this.disarm(id);
    const loop = { timer: undefined as NodeJS.Timeout | undefined };
    this.loops.set(id, loop);
    const next = () => {
      loop.timer = setTimeout(async () => {
        loop.timer = undefined;
        const result = await this.deps.probe(id, config);
        if (this.loops.get(id) !== loop) return;
        await this.deps
          .report(id, result)
          .catch((err) => this.deps.logger.warn({ err, id }, 'recording a health probe failed'));
        if (this.loops.get(id) === loop) next();
      }, config.intervalMs);
    };
    next();
  }

  disarm(id: string): void {
    clearTimeout(this.loops.get(id)?.timer);
    this.loops.delete(id);
  }

  close(): void {
    for (const id of [...this.loops.keys()]) this.disarm(id);
  }
}
