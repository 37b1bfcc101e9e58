/**
 * The node lifecycle controller's decisions, pure (Kubernetes' node_lifecycle_controller and taint
 * manager, kept to the unreachable case):
 * - a node is unreachable when its agent's heartbeat (a renewal of its Lease, timed by when the controller
 *   saw it, as Kubernetes does, so clocks need not agree) is older than the longer of the Lease's duration
 *   and nodeMonitorGracePeriod;
 * - an unreachable node gets Ready=Unknown (NodeStatusUnknown) and the node.kubernetes.io/unreachable
 *   taints (NoSchedule keeps new pods off, NoExecute evicts); a reachable one loses those taints, and its
 *   agent reports Ready again;
 * - a pod on a node with NoExecute taints is evicted at once if it does not tolerate one of them, else when
 *   the shortest tolerationSeconds is over. A pod with no toleration for the unreachable taint tolerates it
 *   for defaultTolerationSeconds (Kubernetes' admission adds that toleration, 300 s, to every pod).
 */
import type { Node, Taint } from '../../resources/core-schemas.ts';
import type { Pod, Toleration } from '../../resources/pod-schemas.ts';
import { toleratesTaint, unreachableTaintKey } from '../../resources/tolerations.ts';
import { kubeTime } from '../../resources/kube-time.ts';


export interface NodeLifecycleTiming {
  /** Kubernetes' nodeMonitorGracePeriod: 40 s. */
  gracePeriodMs: number;
  /** How long a pod without an explicit toleration stays on an unreachable node: 300 s. */
  defaultTolerationSeconds: number;
}

export const defaultNodeLifecycleTiming: NodeLifecycleTiming = {
  gracePeriodMs: 40_000,
  defaultTolerationSeconds: 300,
};

/** Whether the heartbeat seen at `heartbeatAt` is stale at `now`, and if not, in how long it will be. */
export function heartbeatState(
  heartbeatAt: number,
  leaseDurationSeconds: number | undefined,
  now: number,
  gracePeriodMs: number,
): { stale: true } | { stale: false; staleInMs: number } {
  const expiresAt = heartbeatAt + Math.max(gracePeriodMs, (leaseDurationSeconds ?? 0) * 1000);
  return now > expiresAt ? { stale: true } : { stale: false, staleInMs: expiresAt - now + 1 };
}

type NodeCondition = NonNullable<NonNullable<Node['status']>['conditions']>[number];

export interface NodeChanges {
  /** The node's taints to write, when they change. */
  taints?: Taint[];
  /** The node's conditions to write, when they change. */
  conditions?: NodeCondition[];
}

/** How the node must change for its reachability (nothing to change: both undefined). */
export function nodeChanges(node: Node, unreachable: boolean, now: Date): NodeChanges {
  const at = kubeTime(now);
  const taints = node.spec?.taints ?? [];
  const others = taints.filter((t) => t.key !== unreachableTaintKey);
  const ours = taints.filter((t) => t.key === unreachableTaintKey);
  const changes: NodeChanges = {};
  if (unreachable) {
    const wanted = ['NoSchedule', 'NoExecute'].map(
      (effect) =>
        ours.find((t) => t.effect === effect) ?? { key: unreachableTaintKey, effect, timeAdded: at },
    );
    if (ours.length !== 2 || wanted.some((t) => !ours.includes(t))) changes.taints = [...others, ...wanted];
    const conditions = node.status?.conditions ?? [];
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready?.status !== 'Unknown') {
      const unknown: NodeCondition = {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastTransitionTime: at,
        ...(ready?.lastHeartbeatTime ? { lastHeartbeatTime: ready.lastHeartbeatTime } : {}),
      };
      changes.conditions = [...conditions.filter((c) => c.type !== 'Ready'), unknown];
    }
  } else if (ours.length > 0) {
    changes.taints = others;
  }
  return changes;
}

/** When to evict the pod from a node with these taints: now (0), in so many ms, or never (undefined). */
export function evictionDelayMs(
  pod: Pod,
  taints: readonly Taint[],
  now: Date,
  defaultTolerationSeconds: number,
): number | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  let evictAt: number | undefined;
  for (const taint of taints.filter((t) => t.effect === 'NoExecute')) {
    const tolerations = effectiveTolerations(
      pod.spec.tolerations ?? [],
      taint,
      defaultTolerationSeconds,
    ).filter((t) => toleratesTaint(t, taint));
    if (tolerations.length === 0) return 0;
    const seconds = tolerations.map((t) => t.tolerationSeconds).filter((s): s is number => s !== undefined);
    if (seconds.length === 0 || seconds.length < tolerations.length) continue; // tolerated forever by one of them
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now.getTime();
    const at = added + Math.max(0, Math.min(...seconds)) * 1000;
    evictAt = evictAt === undefined ? at : Math.min(evictAt, at);
  }
  return evictAt === undefined ? undefined : Math.max(0, evictAt - now.getTime());
}

/** The pod's tolerations plus the default one for the unreachable taint when it has none of its own. */
function effectiveTolerations(
  tolerations: readonly Toleration[],
  taint: Taint,
  defaultSeconds: number,
): Toleration[] {
  if (taint.key !== unreachableTaintKey || tolerations.some((t) => toleratesTaint(t, taint)))
    return [...tolerations];
  return [
    ...tolerations,
    { key: unreachableTaintKey, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: defaultSeconds },
  ];
}
