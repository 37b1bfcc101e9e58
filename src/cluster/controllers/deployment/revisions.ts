/**
 * A Deployment's rollout history: each ReplicaSet carries the revision at which its template was last
 * rolled out (`deployment.kubernetes.io/revision`, also on the Deployment for its current one); old,
 * scaled-down ReplicaSets beyond `revisionHistoryLimit` are deleted; and a rollback picks the template of
 * an older revision (`marina rollout undo`), after which the controller rolls it out as a new revision.
 */
import { MarinaError } from '../../../errors.ts';
import type { Deployment, ReplicaSet } from '../../resources/apps-schemas.ts';
import { isControlledBy } from '../../resources/owner-references.ts';
import type { PodTemplateSpec } from '../../resources/pod-schemas.ts';
import { withoutHashLabel } from './pod-template-hash.ts';
import { replicasOf } from './replica-arithmetic.ts';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';

export function revisionOf(object: { metadata: { annotations?: Record<string, string> } }): number {
  const value = Number(object.metadata.annotations?.[revisionAnnotation] ?? 0);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/** The revision the new ReplicaSet gets: one past the old ones' (a rolled-back-to template becomes the newest). */
export function nextRevision(oldRSs: readonly ReplicaSet[]): number {
  return maxRevision(oldRSs) + 1;
}

/** Old ReplicaSets with no pods left, beyond the history limit, oldest revisions first. */
export function replicaSetsToPrune(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec.revisionHistoryLimit;
  if (limit === undefined) return [];
  const idle = oldRSs.filter(
    (rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp,
  );
  const excess = idle.length - Math.max(0, limit);
  if (excess <= 0) return [];
  return [...idle].sort((a, b) => revisionOf(a) - revisionOf(b)).slice(0, excess);
}

/**
 * The template `marina rollout undo` writes into the Deployment: that of `toRevision`, or with none given
 * (or 0) that of the revision before the current one. The hash label is dropped: the controller adds the
 * hash of whatever template the Deployment has, so the old ReplicaSet is found again and scaled up.
 */
export function rollbackTemplate(
  deployment: Deployment,
  replicaSets: readonly ReplicaSet[],
  toRevision?: number,
): PodTemplateSpec {
  const owned = replicaSets.filter((rs) => isControlledBy(rs, deployment));
  let target: ReplicaSet | undefined;
  if (toRevision === undefined || toRevision === 0) {
    const current = Math.max(revisionOf(deployment), maxRevision(owned));
    target = owned.filter((rs) => revisionOf(rs) < current).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
    if (!target) {
      throw new MarinaError('NotFound', `no rollout history found for deployment "${deployment.metadata.name}": there is no earlier revision to roll back to`);
    }
  } else {
    target = owned.find((rs) => revisionOf(rs) === toRevision);
    if (!target) {
      throw new MarinaError('NotFound', `unable to find specified revision ${toRevision} in history of deployment "${deployment.metadata.name}"`);
    }
  }
  return structuredClone(withoutHashLabel(target.spec.template));
}
