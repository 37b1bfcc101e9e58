/**
 * How the agent finds a pod's parts in the engine: containers and sandboxes carry the pod's identity as
 * labels (so the agent rebuilds its picture from the engine after a restart, and adopts instead of
 * recreating), and each container also its name in the pod and which attempt it is (its restart count).
 */
import type { Pod } from '../resources/pod-schemas.ts';

export const podUidLabel = 'io.marina.pod.uid';
export const podNameLabel = 'io.marina.pod.name';
export const podNamespaceLabel = 'io.marina.pod.namespace';
export const containerNameLabel = 'io.marina.container.name';
/** The attempt: 0 for the first container made for this pod container, +1 per restart. */
export const containerAttemptLabel = 'io.marina.container.restartCount';
/** `init` for init containers, `app` for the others. */
export const containerRoleLabel = 'io.marina.container.role';

export type ContainerRole = 'init' | 'app';

export function podLabels(pod: Pod): Record<string, string> {
  return {
    [podUidLabel]: pod.metadata.uid ?? '',
    [podNameLabel]: pod.metadata.name ?? '',
    [podNamespaceLabel]: pod.metadata.namespace ?? '',
  };
}

export function containerLabels(
  pod: Pod,
  name: string,
  role: ContainerRole,
  attempt: number,
): Record<string, string> {
  return {
    ...podLabels(pod),
    [containerNameLabel]: name,
    [containerRoleLabel]: role,
    [containerAttemptLabel]: String(attempt),
  };
}

/** The engine container's name: readable in `marina ps`, unique per pod uid and attempt. */
export function engineContainerName(pod: Pod, name: string, attempt: number): string {
  const uid = (pod.metadata.uid ?? '').slice(0, 8);
  return `k8s_${name}_${pod.metadata.name}_${pod.metadata.namespace}_${uid}_${attempt}`;
}

/** The pod key (`namespace/name`) labels name, or undefined for an engine object no pod owns. */
export function podKeyOfLabels(labels: Record<string, string> | undefined): string | undefined {
  const name = labels?.[podNameLabel];
  const namespace = labels?.[podNamespaceLabel];
  return name && namespace ? `${namespace}/${name}` : undefined;
}

export function attemptOf(labels: Record<string, string>): number {
  const attempt = Number(labels[containerAttemptLabel]);
  return Number.isInteger(attempt) && attempt >= 0 ? attempt : 0;
}
