/**
 * How a Deployment sizes its ReplicaSets, pure (Kubernetes' deployment/util and rolling.go arithmetic):
 * the surge and unavailability fenceposts, how far the new ReplicaSet may grow, how far the old ones may
 * shrink without going under `replicas - maxUnavailable` available pods, and the scaling of a paused or
 * resized Deployment. Each function returns the ReplicaSets to resize and their new `spec.replicas`.
 */
import type { Deployment, ReplicaSet } from '../../resources/apps-schemas.ts';
import { rollingUpdateFenceposts } from '../../resources/int-or-percent.ts';

export interface Resize {
  rs: ReplicaSet;
  replicas: number;
}

export const replicasOf = (rs: ReplicaSet): number => rs.spec.replicas ?? 1;
export const availableOf = (rs: ReplicaSet): number => rs.status?.availableReplicas ?? 0;
const sum = (rss: readonly ReplicaSet[], of: (rs: ReplicaSet) => number) => rss.reduce((n, rs) => n + of(rs), 0);

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** maxSurge and maxUnavailable as counts; both 0 for Recreate (and unavailability 0 for 0 replicas). */
export function fenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (!isRollingUpdate(d)) return { maxSurge: 0, maxUnavailable: 0 };
  const rolling = d.spec.strategy?.rollingUpdate;
  const { maxSurge, maxUnavailable } = rollingUpdateFenceposts(rolling?.maxSurge ?? '25%', rolling?.maxUnavailable ?? '25%', replicas);
  return { maxSurge, maxUnavailable: replicas === 0 ? 0 : Math.min(maxUnavailable, replicas) };
}

/** The replicas a new ReplicaSet starts with: as many as the surge allows (Recreate: all at once). */
export function initialNewReplicas(d: Deployment, oldRSs: readonly ReplicaSet[]): number {
  const replicas = d.spec.replicas ?? 1;
  if (!isRollingUpdate(d)) return replicas;
  const room = replicas + fenceposts(d).maxSurge - sum(oldRSs, replicasOf);
  return Math.max(0, Math.min(room, replicas));
}

/** Rolling update, step 1: grow the new ReplicaSet as far as `replicas + maxSurge` pods in all allow. */
export function scaleUpNew(d: Deployment, newRS: ReplicaSet, allRSs: readonly ReplicaSet[]): Resize | undefined {
  const replicas = d.spec.replicas ?? 1;
  const current = replicasOf(newRS);
  if (current === replicas) return undefined;
  if (current > replicas) return { rs: newRS, replicas };
  const room = replicas + fenceposts(d).maxSurge - sum(allRSs, replicasOf);
  if (room <= 0) return undefined;
  return { rs: newRS, replicas: current + Math.min(room, replicas - current) };
}

/**
 * Rolling update, step 2: shrink the old ReplicaSets, first by their unavailable pods (losing those costs
 * no availability), then by available ones, never below `replicas - maxUnavailable` available pods in all.
 * An old ReplicaSet counts at most `spec.replicas` available pods: one just scaled down still reports the
 * pods it is deleting, and counting them would take the Deployment below its minimum.
 */
export function scaleDownOld(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[]): Resize[] {
  if (sum(oldRSs, replicasOf) === 0) return [];
  const minAvailable = (d.spec.replicas ?? 1) - fenceposts(d).maxUnavailable;
  const newUnavailable = replicasOf(newRS) - availableOf(newRS);
  let budget = sum([...oldRSs, newRS], replicasOf) - minAvailable - newUnavailable;
  if (budget <= 0) return [];
  const oldest = [...oldRSs].sort(byCreation);
  const target = new Map(oldest.map((rs) => [rs, replicasOf(rs)]));
  const usable = (rs: ReplicaSet) => Math.min(availableOf(rs), target.get(rs)!);
  for (const rs of oldest) {
    const unhealthy = target.get(rs)! - usable(rs);
    const cut = Math.min(unhealthy, budget);
    if (cut <= 0) continue;
    target.set(rs, target.get(rs)! - cut);
    budget -= cut;
  }
  let surplus = Math.min(budget, sum(oldest, usable) + Math.min(availableOf(newRS), replicasOf(newRS)) - minAvailable);
  for (const rs of oldest) {
    if (surplus <= 0) break;
    const cut = Math.min(target.get(rs)!, surplus);
    target.set(rs, target.get(rs)! - cut);
    surplus -= cut;
  }
  return oldest.filter((rs) => target.get(rs) !== replicasOf(rs)).map((rs) => ({ rs, replicas: target.get(rs)! }));
}

/**
 * A paused Deployment, or one whose ReplicaSets are not mid-rollout, follows `replicas` without rolling:
 * the only active ReplicaSet (or the newest) takes the count; with a saturated new one the old go to 0;
 * during a rolling update the change is shared among the active ones in proportion to their size
 * (Kubernetes' proportional scaling), so a resize mid-rollout keeps the rollout's ratio.
 */
export function scaleToReplicas(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): Resize[] {
  const replicas = d.spec.replicas ?? 1;
  const all = newRS ? [newRS, ...oldRSs] : [...oldRSs];
  const active = all.filter((rs) => replicasOf(rs) > 0);
  const single = active.length === 1 ? active[0] : active.length === 0 ? (newRS ?? [...oldRSs].sort(byCreation).at(-1)) : undefined;
  if (single) return replicasOf(single) === replicas ? [] : [{ rs: single, replicas }];
  if (newRS && replicasOf(newRS) === replicas && availableOf(newRS) === replicas) {
    return active.filter((rs) => rs !== newRS).map((rs) => ({ rs, replicas: 0 }));
  }
  if (!isRollingUpdate(d)) return [];
  const allowed = replicas + fenceposts(d).maxSurge;
  const current = sum(active, replicasOf);
  const change = allowed - current;
  if (change === 0) return [];
  // Largest first (newest first among equals): the rounding leftover goes to it.
  const order = [...active].sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(b, a));
  const sizes = new Map(order.map((rs) => [rs, replicasOf(rs)]));
  let left = change;
  for (const rs of order) {
    const share = Math.trunc((replicasOf(rs) * change) / current);
    const step = change > 0 ? Math.min(share, left) : Math.max(share, left);
    sizes.set(rs, sizes.get(rs)! + step);
    left -= step;
  }
  const first = order[0]!;
  sizes.set(first, Math.max(0, sizes.get(first)! + left));
  return order.filter((rs) => sizes.get(rs) !== replicasOf(rs)).map((rs) => ({ rs, replicas: Math.max(0, sizes.get(rs)!) }));
}

/** Whether the ReplicaSets' sizes show a resize of the Deployment rather than a rollout in progress. */
export function isScalingEvent(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): boolean {
  const replicas = d.spec.replicas ?? 1;
  const active = [newRS, ...oldRSs].filter((rs): rs is ReplicaSet => rs !== undefined && replicasOf(rs) > 0);
  return active.some((rs) => {
    const desired = rs.metadata.annotations?.[desiredReplicasAnnotation];
    return desired !== undefined && Number(desired) !== replicas;
  });
}

/** On each active ReplicaSet: the Deployment's replicas when it was last sized (to recognise a resize). */
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';

export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const at = (rs: ReplicaSet) => rs.metadata.creationTimestamp ?? '';
  return at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}
