/**
 * The ReplicaSet controller's decisions, pure: which pods it claims (adopts) and releases, how many to
 * create and in which batches, which to delete first, and the status it reports. The reconcile in
 * replicaset-controller.ts only reads the cache and applies these.
 */
import type { ReplicaSet } from '../../resources/apps-schemas.ts';
import { labelSelectorMatches } from '../../resources/label-selector.ts';
import type { LabelSelector, ObjectMeta, OwnerReference } from '../../resources/meta-schemas.ts';
import { controllerOf } from '../../resources/owner-references.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { isPodActive, isPodAvailable, isPodReady, readySince } from './pod-state.ts';

/** At most this many pods created or deleted per reconcile (Kubernetes' burstReplicas). */
export const burstReplicas = 500;

export interface Claims<T> {
  /** Controlled by the owner and matching its selector. */
  owned: T[];
  /** Matching orphans (no controller, not being deleted) the owner should take. */
  adopt: T[];
  /** Controlled by the owner but no longer matching: the owner lets go of them. */
  release: T[];
}

interface Claimable {
  metadata: Pick<ObjectMeta, 'labels' | 'ownerReferences' | 'deletionTimestamp'>;
}

/**
 * Kubernetes' ControllerRefManager: an owner claims the matching objects nobody controls and lets go of
 * its own that stopped matching (a relabelled pod leaves its ReplicaSet and is replaced). An owner being
 * deleted adopts nothing, or it would adopt what the garbage collector is about to orphan. Used for a
 * ReplicaSet's pods and a Deployment's ReplicaSets alike.
 */
export function claim<T extends Claimable>(
  owner: { metadata: Pick<ObjectMeta, 'uid' | 'deletionTimestamp'>; spec: { selector: LabelSelector } },
  objects: readonly T[],
): Claims<T> {
  const claims: Claims<T> = { owned: [], adopt: [], release: [] };
  for (const object of objects) {
    const matches = labelSelectorMatches(owner.spec.selector, object.metadata.labels);
    const controller = controllerOf(object);
    if (controller) {
      if (controller.uid !== owner.metadata.uid) continue;
      if (matches) claims.owned.push(object);
      else if (!object.metadata.deletionTimestamp) claims.release.push(object);
    } else if (matches && !object.metadata.deletionTimestamp && !owner.metadata.deletionTimestamp) {
      claims.adopt.push(object);
    }
  }
  return claims;
}

/** The object's owner references with `ref` added (adoption) or the owner's removed (release). */
export function withControllerRef(object: Claimable, ref: OwnerReference): OwnerReference[] {
  return [...(object.metadata.ownerReferences ?? []).filter((r) => r.uid !== ref.uid), ref];
}

export type ReplicaChange = { create: number; delete: Pod[] };

/** How far the active pods are from the desired count: how many to create, or which to delete. */
export function replicaChange(desired: number, activePods: readonly Pod[], now: number): ReplicaChange {
  const diff = desired - activePods.length;
  if (diff > 0) return { create: Math.min(diff, burstReplicas), delete: [] };
  if (diff < 0) return { create: 0, delete: podsToDeleteFirst(activePods, Math.min(-diff, burstReplicas), now) };
  return { create: 0, delete: [] };
}

/**
 * Kubernetes' slow start: batches of 1, 2, 4, … up to `count`, the next one only after the previous
 * fully succeeded, so a template the API server refuses (quota, admission) fails once, not 100 times.
 */
export function slowStartBatches(count: number, initial = 1): number[] {
  const batches: number[] = [];
  for (let size = initial, left = count; left > 0; size *= 2) {
    const batch = Math.min(size, left);
    batches.push(batch);
    left -= batch;
  }
  return batches;
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The `count` pods to delete when scaling down, in Kubernetes' order (ActivePodsWithRanks): unscheduled
 * before scheduled, Pending before Unknown before Running, not Ready before Ready, pods doubled up on a
 * node before lone ones, Ready for a shorter time before longer, more restarts before fewer, newer before
 * older — the pods least useful now and cheapest to lose go first.
 */
export function podsToDeleteFirst(pods: readonly Pod[], count: number, now: number): Pod[] {
  const perNode = new Map<string, number>();
  for (const pod of pods) {
    const node = pod.spec.nodeName;
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const colocated = (pod: Pod) => (pod.spec.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0);
  const restarts = (pod: Pod) => (pod.status?.containerStatuses ?? []).reduce((n, s) => Math.max(n, s.restartCount), 0);
  const created = (pod: Pod) => Date.parse(pod.metadata.creationTimestamp ?? '') || 0;
  const rules: ((a: Pod, b: Pod) => number)[] = [
    (a, b) => Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName)),
    (a, b) => (phaseRank[a.status?.phase ?? 'Pending'] ?? 0) - (phaseRank[b.status?.phase ?? 'Pending'] ?? 0),
    (a, b) => Number(isPodReady(a)) - Number(isPodReady(b)),
    (a, b) => colocated(b) - colocated(a),
    (a, b) => (readySince(b) ?? now) - (readySince(a) ?? now),
    (a, b) => restarts(b) - restarts(a),
    (a, b) => created(b) - created(a),
  ];
  const order = (a: Pod, b: Pod) => {
    for (const rule of rules) {
      const result = rule(a, b);
      if (result !== 0) return result;
    }
    return 0;
  };
  return [...pods].sort(order).slice(0, count);
}

export type ReplicaSetStatus = NonNullable<ReplicaSet['status']>;

/** The status from the ReplicaSet's pods (all it controls; the finished and deleting ones are not counted). */
export function replicaSetStatus(rs: ReplicaSet, ownedPods: readonly Pod[], now: number): ReplicaSetStatus {
  const active = ownedPods.filter(isPodActive);
  const templateLabels = rs.spec.template.metadata?.labels ?? {};
  const fullyLabeled = active.filter((pod) =>
    Object.entries(templateLabels).every(([key, value]) => pod.metadata.labels?.[key] === value),
  );
  const minReadySeconds = rs.spec.minReadySeconds ?? 0;
  return {
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled.length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((pod) => isPodAvailable(pod, minReadySeconds, now)).length,
    observedGeneration: rs.metadata.generation,
    ...(rs.status?.conditions ? { conditions: rs.status.conditions } : {}),
  };
}

/** A pod made from the ReplicaSet's template: named after it, labelled as the template, controlled by it. */
export function podFromTemplate(rs: ReplicaSet, controllerRef: OwnerReference): Pod {
  const template = rs.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      ...(template.metadata?.labels ? { labels: { ...template.metadata.labels } } : {}),
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
      ownerReferences: [controllerRef],
    },
    spec: structuredClone(template.spec),
  };
}
