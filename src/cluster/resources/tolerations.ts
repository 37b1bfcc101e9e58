/**
 * Whether a pod's tolerations let it onto a node's taints, with Kubernetes' matching rules. The scheduler
 * filters and scores with it; the node lifecycle controller evicts with it.
 */

/** The taints Kubernetes puts on a node whose Ready condition is False (or unreported) or Unknown. */
export const notReadyTaintKey = 'node.kubernetes.io/not-ready';
export const unreachableTaintKey = 'node.kubernetes.io/unreachable';

export interface TaintView {
  readonly key: string;
  readonly value?: string | undefined;
  /** NoSchedule, PreferNoSchedule or NoExecute. */
  readonly effect: string;
}

export interface TolerationView {
  /** Empty with operator Exists: tolerates every taint. */
  readonly key?: string | undefined;
  /** Equal (the default) or Exists. */
  readonly operator?: string | undefined;
  readonly value?: string | undefined;
  /** Empty: every effect. */
  readonly effect?: string | undefined;
}

/**
 * An empty effect tolerates every effect; an empty key with operator Exists tolerates every key; Exists
 * ignores the value, Equal (the default) needs it to be the same.
 */
export function toleratesTaint(toleration: TolerationView, taint: TaintView): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const operator = toleration.operator ?? 'Equal';
  if (operator === 'Exists') return true;
  if (operator !== 'Equal' || !toleration.key) return false;
  return (toleration.value ?? '') === (taint.value ?? '');
}

export function tolerated(tolerations: readonly TolerationView[] | undefined, taint: TaintView): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** Kubernetes' way of naming a taint in a reason: `{dedicated: gpu}`. */
export function describeTaint(taint: TaintView): string {
  return `{${taint.key}: ${taint.value ?? ''}}`;
}
