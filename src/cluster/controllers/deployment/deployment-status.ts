/**
 * A Deployment's status from its ReplicaSets, and its Available and Progressing conditions with
 * Kubernetes' reasons — including the progress deadline: a rollout that has not moved for
 * `progressDeadlineSeconds` is reported Progressing=False, ProgressDeadlineExceeded. Pure: the time is
 * passed in.
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../resources/apps-schemas.ts';
import { fenceposts } from './replica-arithmetic.ts';
import { kubeTime } from '../../resources/kube-time.ts';

type Condition = NonNullable<DeploymentStatus['conditions']>[number];

export const reasons = {
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  deploymentPaused: 'DeploymentPaused',
  deploymentResumed: 'DeploymentResumed',
} as const;


export function condition(type: string, status: string, reason: string, message: string, now: number): Condition {
  const at = kubeTime(now);
  return { type, status, reason, message, lastUpdateTime: at, lastTransitionTime: at };
}

/**
 * Sets `next` among `conditions`: unchanged when the same status and reason are there already; keeps the
 * transition time when only the reason changes (Kubernetes' SetDeploymentCondition).
 */
export function setCondition(conditions: readonly Condition[], next: Condition): Condition[] {
  const current = conditions.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason) return [...conditions];
  const kept = current?.status === next.status ? { ...next, lastTransitionTime: current.lastTransitionTime } : next;
  return [...conditions.filter((c) => c.type !== next.type), kept];
}

export function getCondition(status: DeploymentStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** The counters, and Available: at least `replicas - maxUnavailable` pods available. */
export function calculateStatus(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  allRSs: readonly ReplicaSet[],
  now: number,
): DeploymentStatus {
  const total = (of: (rs: ReplicaSet) => number | undefined) => allRSs.reduce((n, rs) => n + (of(rs) ?? 0), 0);
  const replicas = d.spec.replicas ?? 1;
  const availableReplicas = total((rs) => rs.status?.availableReplicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: total((rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: total((rs) => rs.status?.readyReplicas),
    availableReplicas,
    unavailableReplicas: Math.max(0, total((rs) => rs.spec.replicas ?? 1) - availableReplicas),
    conditions: d.status?.conditions ?? [],
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
  };
  const available =
    availableReplicas >= replicas - fenceposts(d).maxUnavailable
      ? condition('Available', 'True', reasons.minimumReplicasAvailable, 'Deployment has minimum availability.', now)
      : condition('Available', 'False', reasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now);
  status.conditions = setCondition(status.conditions ?? [], available);
  return status;
}

/** Every pod updated and available, none left over, the latest spec observed (Kubernetes' DeploymentComplete). */
export function isComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = d.spec.replicas ?? 1;
  return (
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** The rollout moved since the last status: more updated, ready or available pods, fewer old ones. */
function isProgressing(d: Deployment, next: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldPods = (s: DeploymentStatus) => (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    oldPods(next) < oldPods(old) ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** When the rollout runs out of time (ms since the epoch); undefined when no deadline applies. */
export function progressDeadline(d: Deployment, status: DeploymentStatus): number | undefined {
  const progressing = getCondition(status, 'Progressing');
  const seconds = d.spec.progressDeadlineSeconds;
  if (seconds === undefined || !progressing?.lastUpdateTime) return undefined;
  if (progressing.reason === reasons.newReplicaSetAvailable || progressing.reason === reasons.progressDeadlineExceeded) return undefined;
  return Date.parse(progressing.lastUpdateTime) + seconds * 1000;
}

/**
 * The status after a rollout step (Kubernetes' syncRolloutStatus): Progressing says the new ReplicaSet
 * completed, is progressing (refreshing the deadline), or has missed the deadline.
 */
export function rolloutStatus(d: Deployment, newRS: ReplicaSet | undefined, allRSs: readonly ReplicaSet[], now: number): DeploymentStatus {
  const status = calculateStatus(d, newRS, allRSs, now);
  if (d.spec.progressDeadlineSeconds === undefined) {
    status.conditions = status.conditions?.filter((c) => c.type !== 'Progressing');
    return status;
  }
  const current = getCondition(d.status, 'Progressing');
  const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (current?.reason === reasons.newReplicaSetAvailable && status.replicas === status.updatedReplicas) return status;
  const conditions = status.conditions ?? [];
  if (isComplete(d, status)) {
    status.conditions = setCondition(
      conditions,
      condition('Progressing', 'True', reasons.newReplicaSetAvailable, `${subject} has successfully progressed.`, now),
    );
  } else if (isProgressing(d, status)) {
    // Progress refreshes the deadline (lastUpdateTime) even though the condition itself stays the same.
    const next = condition('Progressing', 'True', reasons.replicaSetUpdated, `${subject} is progressing.`, now);
    if (current?.status === 'True' && current.lastTransitionTime) next.lastTransitionTime = current.lastTransitionTime;
    status.conditions = [...conditions.filter((c) => c.type !== 'Progressing'), next];
  } else {
    const deadline = progressDeadline(d, status);
    if (deadline !== undefined && deadline < now) {
      status.conditions = setCondition(
        conditions,
        condition('Progressing', 'False', reasons.progressDeadlineExceeded, `${subject} has timed out progressing.`, now),
      );
    }
  }
  return status;
}

/** Progressing=Unknown while paused (the deadline does not run) and once resumed (it starts again). */
export function pausedConditions(d: Deployment, now: number): Condition[] | undefined {
  const conditions = d.status?.conditions ?? [];
  const current = getCondition(d.status, 'Progressing');
  if (d.spec.progressDeadlineSeconds === undefined) return undefined;
  if (d.spec.paused && current?.reason !== reasons.deploymentPaused) {
    return setCondition(conditions, condition('Progressing', 'Unknown', reasons.deploymentPaused, 'Deployment is paused', now));
  }
  if (!d.spec.paused && current?.reason === reasons.deploymentPaused) {
    return setCondition(conditions, condition('Progressing', 'Unknown', reasons.deploymentResumed, 'Deployment is resumed', now));
  }
  return undefined;
}
