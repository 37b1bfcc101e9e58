/**
 * The scheduler's cache: every node with its assigned pods, updated incrementally from watch events and
 * from the scheduler's own decisions ("assume": a pod is added the moment it is picked for a node, before
 * the bind is written, so the next pod already sees it). Cluster-wide questions that pod affinity and
 * topology spread ask ("which pods match this selector?") are answered from a label index, not a scan.
 */
import { entryOf } from './map-entry.ts';
import { NodeInfo } from './node-info.ts';
import { hasAffinityTerms, newPodInfo, type PodInfo, podKey } from './pod-info.ts';
import type { LabelMatcher } from './selectors.ts';
import type { NodeView, PodView } from './types.ts';

export interface AssignedPod {
  readonly info: PodInfo;
  readonly node: NodeInfo;
}

const labelIndexKey = (key: string, value: string) => `${key}\u0000${value}`;

export class ClusterSnapshot {
  private readonly nodesByName = new Map<string, NodeInfo>();
  /** In the order nodes were added: a stable order for sampling a share of them. */
  private readonly nodeList: NodeInfo[] = [];
  private readonly assigned = new Map<string, AssignedPod>();
  /** Pods bound to a node the snapshot does not (yet) know, by node name: a watch may deliver them first. */
  private readonly waitingForNode = new Map<string, Map<string, PodInfo>>();
  private readonly byLabel = new Map<string, Set<AssignedPod>>();
  private readonly withAffinity = new Set<AssignedPod>();
  private readonly withRequiredAntiAffinity = new Set<AssignedPod>();

  get nodes(): readonly NodeInfo[] {
    return this.nodeList;
  }

  node(name: string): NodeInfo | undefined {
    return this.nodesByName.get(name);
  }

  /** Adds a node or replaces its object (labels, taints, allocatable), keeping its pods. */
  setNode(node: NodeView): NodeInfo {
    const existing = this.nodesByName.get(node.metadata.name ?? '');
    if (existing) {
      existing.updateNode(node);
      return existing;
    }
    const info = new NodeInfo(node);
    this.nodesByName.set(info.name, info);
    this.nodeList.push(info);
    const waiting = this.waitingForNode.get(info.name);
    this.waitingForNode.delete(info.name);
    for (const pod of waiting?.values() ?? []) this.attach(pod, info);
    return info;
  }

  /** Its pods are kept aside until the node comes back or they are removed. */
  removeNode(name: string): void {
    const info = this.nodesByName.get(name);
    if (!info) return;
    this.nodesByName.delete(name);
    this.nodeList.splice(this.nodeList.indexOf(info), 1);
    for (const pod of [...info.pods.values()]) {
      this.detach(pod.key);
      this.waitingOn(name).set(pod.key, pod);
    }
  }

  /** Records a pod on a node: a bound pod seen in a watch, or the scheduler's own (assumed) decision. */
  addPod(pod: PodView | PodInfo, nodeName: string): PodInfo {
    const info = 'pod' in pod ? pod : newPodInfo(pod);
    this.removePod(info.key);
    const node = this.nodesByName.get(nodeName);
    if (node) this.attach(info, node);
    else this.waitingOn(nodeName).set(info.key, info);
    return info;
  }

  /** Forgets a pod (deleted, or its bind failed); a key or the pod itself. */
  removePod(pod: string | PodView): void {
    const key = typeof pod === 'string' ? pod : podKey(pod);
    if (this.detach(key)) return;
    for (const [nodeName, waiting] of this.waitingForNode) {
      if (waiting.delete(key) && waiting.size === 0) this.waitingForNode.delete(nodeName);
    }
  }

  /** Where a pod is, if the snapshot has it on a known node. */
  assignment(key: string): AssignedPod | undefined {
    return this.assigned.get(key);
  }

  get assignedPodCount(): number {
    return this.assigned.size;
  }

  /** Assigned pods in the given namespaces whose labels the selector matches. */
  *podsMatching(namespaces: ReadonlySet<string>, selector: LabelMatcher): Iterable<AssignedPod> {
    const hint = selector.requiredLabel;
    const candidates = hint
      ? (this.byLabel.get(labelIndexKey(hint[0], hint[1])) ?? [])
      : this.assigned.values();
    for (const candidate of candidates) {
      if (namespaces.has(candidate.info.namespace) && selector.matches(candidate.info.labels))
        yield candidate;
    }
  }

  /** Assigned pods with any pod (anti-)affinity term: their preferences weigh on where others go. */
  get podsWithAffinity(): ReadonlySet<AssignedPod> {
    return this.withAffinity;
  }

  /** Assigned pods with required anti-affinity: they keep matching pods out of their topology domain. */
  get podsWithRequiredAntiAffinity(): ReadonlySet<AssignedPod> {
    return this.withRequiredAntiAffinity;
  }

  private waitingOn(nodeName: string): Map<string, PodInfo> {
    return entryOf(this.waitingForNode, nodeName, () => new Map<string, PodInfo>());
  }

  private attach(info: PodInfo, node: NodeInfo): void {
    const entry: AssignedPod = { info, node };
    node.addPod(info);
    this.assigned.set(info.key, entry);
    for (const [key, value] of Object.entries(info.labels)) {
      entryOf(this.byLabel, labelIndexKey(key, value), () => new Set<AssignedPod>()).add(entry);
    }
    if (hasAffinityTerms(info)) this.withAffinity.add(entry);
    if (info.requiredAntiAffinityTerms.length > 0) this.withRequiredAntiAffinity.add(entry);
  }

  private detach(key: string): boolean {
    const entry = this.assigned.get(key);
    if (!entry) return false;
    this.assigned.delete(key);
    entry.node.removePod(entry.info);
    for (const [label, value] of Object.entries(entry.info.labels)) {
      const indexKey = labelIndexKey(label, value);
      const set = this.byLabel.get(indexKey);
      set?.delete(entry);
      if (set?.size === 0) this.byLabel.delete(indexKey);
    }
    this.withAffinity.delete(entry);
    this.withRequiredAntiAffinity.delete(entry);
    return true;
  }
}
