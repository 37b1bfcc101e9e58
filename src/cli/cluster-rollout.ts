/**
 * The pure parts of `marina rollout`: when a Deployment's rollout is done (kubectl's lines while it is
 * not), its history from its ReplicaSets' revision annotations, and the patches pause, resume and restart
 * write. The rollback template comes from the deployment controller's own revisions code.
 */
import type { Deployment, ReplicaSet } from '../cluster/resources/apps-schemas.ts';
import { revisionOf } from '../cluster/controllers/deployment/revisions.ts';
import { isControlledBy } from '../cluster/resources/owner-references.ts';
import { MarinaError } from '../errors.ts';
import { kubeTime } from '../cluster/resources/kube-time.ts';

export interface RolloutProgress {
  done: boolean;
  /** kubectl's line for this state. */
  message: string;
}

const changeCauseAnnotation = 'kubernetes.io/change-cause';
export const restartedAtAnnotation = 'kubectl.kubernetes.io/restartedAt';

/**
 * kubectl's DeploymentStatusViewer: done once the controller has seen the latest spec and every replica
 * is updated and available with no old one left; a Progressing=False ProgressDeadlineExceeded condition
 * is an error.
 */
export function rolloutProgress(d: Deployment): RolloutProgress {
  const name = d.metadata.name ?? '';
  const status = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    throw new MarinaError('Unavailable', `deployment "${name}" exceeded its progress deadline`);
  }
  const desired = d.spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...` };
  }
  if (total > updated) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...` };
  }
  if (available < updated) {
    return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  }
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}

/** The ReplicaSets this Deployment controls. */
export function ownedReplicaSets(d: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet[] {
  return replicaSets.filter((rs) => isControlledBy(rs, d));
}

/** `rollout history`: one row per revision, oldest first, with its change cause. */
export function historyRows(d: Deployment, replicaSets: readonly ReplicaSet[]): [string, string][] {
  return ownedReplicaSets(d, replicaSets)
    .filter((rs) => revisionOf(rs) > 0)
    .sort((a, b) => revisionOf(a) - revisionOf(b))
    .map((rs) => [String(revisionOf(rs)), rs.metadata.annotations?.[changeCauseAnnotation] ?? '<none>']);
}

/** `rollout restart`: a new template annotation, so the template changes and rolls out again. */
export function restartPatch(now: Date): unknown {
  return { spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: kubeTime(now) } } } } };
}

/** A revision number as `--to-revision` takes it: 0 (the previous one) or more. */
export function parseRevision(text: string): number {
  const revision = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(revision)) throw new MarinaError('Invalid', `--to-revision must be a revision number (0 for the previous one), not "${text}"`);
  return revision;
}
