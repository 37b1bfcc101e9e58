/**
 * What a workload controller needs to know about a pod from its status: is it still counted (active),
 * Ready, available (Ready for minReadySeconds). Kubernetes' podutil helpers, as pure functions of the pod
 * and the time.
 */
import type { Pod } from '../../resources/pod-schemas.ts';

/** Its containers have all stopped for good: the pod Succeeded or Failed. */
export function isPodFinished(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Counted towards the replicas: not being deleted, and not finished (a finished pod is replaced). */
export function isPodActive(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && !isPodFinished(pod);
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod last became Ready (undefined when it is not Ready, or the time is unknown). */
export function readySince(pod: Pod): number | undefined {
  const condition = readyCondition(pod);
  if (condition?.status !== 'True' || !condition.lastTransitionTime) return undefined;
  return Date.parse(condition.lastTransitionTime);
}

/** Ready for at least `minReadySeconds` (at once when that is 0). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

/**
 * Milliseconds until the first Ready-but-not-yet-available pod becomes available, so a controller can
 * look again then; undefined when no pod is waiting for that.
 */
export function nextAvailableInMs(pods: readonly Pod[], minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    const since = readySince(pod);
    if (since === undefined || isPodAvailable(pod, minReadySeconds, now)) continue;
    const wait = since + minReadySeconds * 1000 - now;
    next = next === undefined ? wait : Math.min(next, wait);
  }
  return next;
}
