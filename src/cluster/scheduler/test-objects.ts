/**
 * Pods, nodes and plugin runs for the scheduler's unit tests (and the throughput bench): short builders
 * with Kubernetes' field names, and a way to run one plugin the way the scheduler runs it.
 */
import { CycleState, type FilterPlugin, type ScorePlugin } from './framework.ts';
import { newPodInfo } from './pod-info.ts';
import { ClusterSnapshot } from './snapshot.ts';
import type { ContainerPortView, NodeView, PodSpecView, PodView, ResourceList, TaintView } from './types.ts';

export interface NodeOptions {
  cpu?: string | number;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: TaintView[];
  unschedulable?: boolean;
  /** The Ready condition's status; absent: True. */
  ready?: string;
  allocatable?: ResourceList;
}

export function node(name: string, options: NodeOptions = {}): NodeView {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...options.labels } },
    spec: { unschedulable: options.unschedulable, taints: options.taints },
    status: {
      allocatable: options.allocatable ?? {
        cpu: options.cpu ?? '4',
        memory: options.memory ?? '8Gi',
        pods: options.pods ?? 110,
      },
      conditions: [{ type: 'Ready', status: options.ready ?? 'True' }],
    },
  };
}

export interface PodOptions extends Partial<PodSpecView> {
  namespace?: string;
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  hostPorts?: ContainerPortView[];
  ownerUid?: string;
}

export function pod(name: string, options: PodOptions = {}): PodView {
  const { namespace, labels, cpu, memory, hostPorts, ownerUid, ...spec } = options;
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return {
    metadata: {
      name,
      namespace: namespace ?? 'default',
      uid: `uid-${namespace ?? 'default'}-${name}`,
      labels,
      ownerReferences: ownerUid ? [{ uid: ownerUid, controller: true }] : undefined,
    },
    spec: { containers: [{ resources: { requests }, ports: hostPorts }], ...spec },
  };
}

export function snapshotOf(nodes: NodeView[], placed: [PodView, string][] = []): ClusterSnapshot {
  const snapshot = new ClusterSnapshot();
  for (const n of nodes) snapshot.setNode(n);
  for (const [p, nodeName] of placed) snapshot.addPod(p, nodeName);
  return snapshot;
}

/** Per node: 'fits', or the reasons it was rejected; 'skipped' when the pre-filter skipped the plugin. */
export function runFilter(
  plugin: FilterPlugin,
  podView: PodView,
  snapshot: ClusterSnapshot,
): Record<string, string> {
  const state = new CycleState();
  const info = newPodInfo(podView);
  const pre = plugin.preFilter?.(state, info, snapshot);
  const result: Record<string, string> = {};
  for (const n of snapshot.nodes) {
    if (pre?.code === 'Skip') result[n.name] = 'skipped';
    else if (pre?.code === 'Unschedulable') result[n.name] = pre.reasons.join('; ');
    else {
      const status = plugin.filter(state, info, n);
      result[n.name] = status.code === 'Success' ? 'fits' : status.reasons.join('; ');
    }
  }
  return result;
}

/** Per node: the normalized score, rounded; undefined when the plugin skipped this pod. */
export function runScore(
  plugin: ScorePlugin,
  podView: PodView,
  snapshot: ClusterSnapshot,
): Record<string, number> | undefined {
  const state = new CycleState();
  const info = newPodInfo(podView);
  const nodes = snapshot.nodes;
  if (plugin.preScore?.(state, info, snapshot, nodes).code === 'Skip') return undefined;
  const scores = nodes.map((n) => plugin.score(state, info, n));
  plugin.normalize?.(state, info, scores);
  return Object.fromEntries(nodes.map((n, i) => [n.name, Math.round(scores[i]!)]));
}
