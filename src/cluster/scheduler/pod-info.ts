/**
 * What the scheduler derives from a pod once, before it looks at any node: its total requests, host ports,
 * compiled affinity terms. The cluster snapshot keeps one for every assigned pod, so nothing is recomputed
 * per node or per scheduling cycle.
 */
import { schedulingAmount } from './quantity.ts';
import {
  compileLabelSelector,
  compileNodeSelectorTerms,
  type LabelMatcher,
  type NodeMatcher,
} from './selectors.ts';
import type { ContainerView, Labels, PodAffinityTermView, PodAffinityView, PodView } from './types.ts';

/** Amounts by resource name: cpu in millicores, the rest in base units (see quantity.ts). */
export type ResourceAmounts = Map<string, number>;

export interface HostPort {
  readonly port: number;
  readonly protocol: string;
  /** 0.0.0.0 when the pod did not pin an address: it takes the port on every address. */
  readonly hostIP: string;
}

export interface AffinityTerm {
  readonly namespaces: ReadonlySet<string>;
  readonly selector: LabelMatcher;
  readonly topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

export interface PodInfo {
  readonly pod: PodView;
  /** The uid, or namespace/name for a pod not yet given one. */
  readonly key: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly requests: ResourceAmounts;
  /**
   * CPU and memory requests with Kubernetes' defaults (100m, 200Mi) for containers that request none, so
   * that spreading by "least allocated" still sees pods without requests.
   */
  readonly nonZeroCpu: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
  /** The uid of the controlling owner (a ReplicaSet, a Job), for spreading its pods. */
  readonly controllerUid: string | undefined;
  /** Whether the pod constrains its nodes by nodeSelector or required node affinity at all. */
  readonly hasRequiredNodeAffinity: boolean;
  /** nodeSelector and required node affinity together: the nodes this pod may run on. */
  readonly matchesRequiredNodeAffinity: NodeMatcher;
}

export const defaultNamespace = 'default';
const defaultCpuRequest = 100;
const defaultMemoryRequest = 200 * 1024 * 1024;
const wildcardHostIP = '0.0.0.0';

export function podKey(pod: PodView): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? defaultNamespace}/${pod.metadata.name ?? ''}`;
}

function containerRequests(container: ContainerView): ResourceAmounts {
  const amounts: ResourceAmounts = new Map();
  for (const [name, quantity] of Object.entries(container.resources?.requests ?? {})) {
    amounts.set(name, schedulingAmount(name, quantity));
  }
  return amounts;
}

/**
 * Containers run together, so their requests add up; init containers run one at a time before them, so
 * the pod needs the largest of them at most: per resource, max(sum of containers, each init container).
 */
function podRequests(pod: PodView): ResourceAmounts {
  const total: ResourceAmounts = new Map();
  for (const container of pod.spec.containers) {
    for (const [name, amount] of containerRequests(container))
      total.set(name, (total.get(name) ?? 0) + amount);
  }
  for (const init of pod.spec.initContainers ?? []) {
    for (const [name, amount] of containerRequests(init))
      total.set(name, Math.max(total.get(name) ?? 0, amount));
  }
  return total;
}

function nonZeroRequest(pod: PodView, resource: 'cpu' | 'memory', fallback: number): number {
  let sum = 0;
  for (const container of pod.spec.containers) {
    const quantity = container.resources?.requests?.[resource];
    sum += quantity === undefined ? fallback : schedulingAmount(resource, quantity);
  }
  return sum;
}

function hostPorts(pod: PodView): HostPort[] {
  const ports: HostPort[] = [];
  for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const p of container.ports ?? []) {
      if (!p.hostPort) continue;
      ports.push({ port: p.hostPort, protocol: p.protocol ?? 'TCP', hostIP: p.hostIP || wildcardHostIP });
    }
  }
  return ports;
}

function compileTerm(term: PodAffinityTermView, podNamespace: string): AffinityTerm {
  const namespaces = term.namespaces?.length ? term.namespaces : [podNamespace];
  return {
    namespaces: new Set(namespaces),
    selector: compileLabelSelector(term.labelSelector),
    topologyKey: term.topologyKey,
  };
}

const anyNode: NodeMatcher = () => true;

/** nodeSelector's labels must all be on the node, and one of the required affinity terms must match. */
function requiredNodeMatcher(pod: PodView): NodeMatcher {
  const selector = Object.entries(pod.spec.nodeSelector ?? {});
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = required ? compileNodeSelectorTerms(required.nodeSelectorTerms) : anyNode;
  if (selector.length === 0 && !required) return anyNode;
  return (node) => {
    const labels = node.metadata.labels ?? {};
    for (const [key, value] of selector) if (labels[key] !== value) return false;
    return terms(node);
  };
}

export function newPodInfo(pod: PodView): PodInfo {
  const namespace = pod.metadata.namespace ?? defaultNamespace;
  const { podAffinity, podAntiAffinity } = pod.spec.affinity ?? {};
  const required = (terms: readonly PodAffinityTermView[] | undefined) =>
    (terms ?? []).map((t) => compileTerm(t, namespace));
  const preferred = (terms: PodAffinityView['preferredDuringSchedulingIgnoredDuringExecution']) =>
    (terms ?? []).map((t) => ({ ...compileTerm(t.podAffinityTerm, namespace), weight: t.weight }));
  return {
    pod,
    key: podKey(pod),
    namespace,
    labels: pod.metadata.labels ?? {},
    requests: podRequests(pod),
    nonZeroCpu: nonZeroRequest(pod, 'cpu', defaultCpuRequest),
    nonZeroMemory: nonZeroRequest(pod, 'memory', defaultMemoryRequest),
    hostPorts: hostPorts(pod),
    requiredAffinityTerms: required(podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinityTerms: required(podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinityTerms: preferred(podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: preferred(podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    controllerUid: pod.metadata.ownerReferences?.find((o) => o.controller)?.uid,
    hasRequiredNodeAffinity:
      Object.keys(pod.spec.nodeSelector ?? {}).length > 0 ||
      pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined,
    matchesRequiredNodeAffinity: requiredNodeMatcher(pod),
  };
}

/** Whether an affinity term (of any pod) selects this pod. */
export function termSelects(term: AffinityTerm, pod: PodInfo): boolean {
  return term.namespaces.has(pod.namespace) && term.selector.matches(pod.labels);
}

export function hasAffinityTerms(pod: PodInfo): boolean {
  return (
    pod.requiredAffinityTerms.length > 0 ||
    pod.requiredAntiAffinityTerms.length > 0 ||
    pod.preferredAffinityTerms.length > 0 ||
    pod.preferredAntiAffinityTerms.length > 0
  );
}
