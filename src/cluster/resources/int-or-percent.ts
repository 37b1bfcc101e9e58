/**
 * IntOrString values that are counts or percentages of a total (`maxSurge: 25%`, `maxUnavailable: 1`), and
 * the rounding Kubernetes applies to a rolling update's fenceposts.
 */
import { invalid } from '../../errors.ts';
import type { IntOrString } from './meta-schemas.ts';

const percentPattern = /^(\d+)%$/;

export function isPercent(value: IntOrString): value is string {
  return typeof value === 'string' && percentPattern.test(value);
}

/** `"25%"` of 4 → 1 (rounding as asked), `3` → 3. Throws Invalid for a string that is not a percentage. */
export function resolveIntOrPercent(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const match = percentPattern.exec(value);
  if (!match)
    throw invalid(`invalid value ${JSON.stringify(value)}: must be an integer or a percentage (e.g. '25%')`);
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * How many pods a rolling update may add above, and take below, the desired count. Surge rounds up and
 * unavailability down, so a small Deployment still makes progress without going under capacity; when both
 * come out 0, one pod may be unavailable, or the rollout could never start.
 */
export function rollingUpdateFenceposts(
  maxSurge: IntOrString,
  maxUnavailable: IntOrString,
  replicas: number,
): { maxSurge: number; maxUnavailable: number } {
  const surge = resolveIntOrPercent(maxSurge, replicas, true);
  const unavailable = resolveIntOrPercent(maxUnavailable, replicas, false);
  return { maxSurge: surge, maxUnavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}
