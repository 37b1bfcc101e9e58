/**
 * One node as the scheduler sees it: the node object plus the pods assigned to it and their totals
 * (requests, host ports, pods per owner), kept up to date pod by pod so that no filter ever sums a node's
 * pods again.
 */
import { invalid } from '../../errors.ts';
import { entryOf } from './map-entry.ts';
import type { HostPort, PodInfo, ResourceAmounts } from './pod-info.ts';
import { schedulingAmount } from './quantity.ts';
import type { Labels, NodeView } from './types.ts';

const wildcardHostIP = '0.0.0.0';

/** Host ports in use, counted per (protocol, port, address) so that removing one pod frees exactly its ports. */
class HostPortUsage {
  private readonly byPort = new Map<string, Map<string, number>>();

  add(port: HostPort, delta: 1 | -1): void {
    const slot = `${port.protocol}/${port.port}`;
    const addresses = entryOf(this.byPort, slot, () => new Map<string, number>());
    const count = (addresses.get(port.hostIP) ?? 0) + delta;
    if (count > 0) addresses.set(port.hostIP, count);
    else addresses.delete(port.hostIP);
    if (addresses.size === 0) this.byPort.delete(slot);
  }

  /** 0.0.0.0 collides with every address of the same protocol and port, in either direction. */
  conflicts(port: HostPort): boolean {
    const addresses = this.byPort.get(`${port.protocol}/${port.port}`);
    if (!addresses) return false;
    return port.hostIP === wildcardHostIP || addresses.has(wildcardHostIP) || addresses.has(port.hostIP);
  }
}

export class NodeInfo {
  readonly name: string;
  node: NodeView;
  labels: Labels;
  allocatable: ResourceAmounts;
  readonly pods = new Map<string, PodInfo>();
  readonly requested: ResourceAmounts = new Map();
  nonZeroRequestedCpu = 0;
  nonZeroRequestedMemory = 0;
  readonly usedPorts = new HostPortUsage();
  /** Assigned pods by controlling owner uid, for spreading an owner's pods. */
  readonly podsByController = new Map<string, number>();

  constructor(node: NodeView) {
    const name = node.metadata.name;
    if (!name) throw invalid('a node without metadata.name cannot be scheduled to');
    this.name = name;
    this.node = node;
    this.labels = node.metadata.labels ?? {};
    this.allocatable = NodeInfo.allocatableOf(node);
  }

  private static allocatableOf(node: NodeView): ResourceAmounts {
    const amounts: ResourceAmounts = new Map();
    for (const [name, quantity] of Object.entries(node.status?.allocatable ?? {})) {
      amounts.set(name, schedulingAmount(name, quantity));
    }
    return amounts;
  }

  /** The node object changed (labels, taints, capacity); its pods did not. */
  updateNode(node: NodeView): void {
    this.node = node;
    this.labels = node.metadata.labels ?? {};
    this.allocatable = NodeInfo.allocatableOf(node);
  }

  addPod(pod: PodInfo): void {
    this.pods.set(pod.key, pod);
    this.account(pod, 1);
  }

  removePod(pod: PodInfo): void {
    if (this.pods.delete(pod.key)) this.account(pod, -1);
  }

  private account(pod: PodInfo, sign: 1 | -1): void {
    for (const [name, amount] of pod.requests)
      this.requested.set(name, (this.requested.get(name) ?? 0) + sign * amount);
    this.nonZeroRequestedCpu += sign * pod.nonZeroCpu;
    this.nonZeroRequestedMemory += sign * pod.nonZeroMemory;
    for (const port of pod.hostPorts) this.usedPorts.add(port, sign);
    if (pod.controllerUid !== undefined) {
      const count = (this.podsByController.get(pod.controllerUid) ?? 0) + sign;
      if (count > 0) this.podsByController.set(pod.controllerUid, count);
      else this.podsByController.delete(pod.controllerUid);
    }
  }
}
