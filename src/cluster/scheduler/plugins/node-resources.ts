/**
 * Requests against allocatable: a pod fits a node when, for every resource it requests, what the node's
 * pods already request plus this pod's stays within allocatable, and the node has room for one more pod
 * (allocatable `pods`). Two scores spread the load: LeastAllocated (more free cpu and memory is better)
 * and BalancedAllocation (cpu and memory used in equal shares is better, so neither is stranded).
 */
import { type FilterPlugin, maxNodeScore, type ScorePlugin, success, unschedulable } from '../framework.ts';
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';

export const nodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: 'NodeResourcesFit',
  filter(_state, pod, node) {
    let reasons: string[] | undefined;
    if (node.pods.size + 1 > (node.allocatable.get('pods') ?? 0)) reasons = ['Too many pods'];
    for (const [resource, amount] of pod.requests) {
      if (amount === 0 || resource === 'pods') continue;
      if ((node.requested.get(resource) ?? 0) + amount > (node.allocatable.get(resource) ?? 0)) {
        reasons ??= [];
        reasons.push(`Insufficient ${resource}`);
      }
    }
    return reasons ? unschedulable(...reasons) : success;
  },
  score(_state, pod, node) {
    const [cpu, memory] = shares(pod, node);
    return ((1 - cpu) * maxNodeScore + (1 - memory) * maxNodeScore) / 2;
  },
};

export const nodeResourcesBalancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  score(_state, pod, node) {
    const [cpu, memory] = shares(pod, node);
    // The standard deviation of two shares is half their difference.
    return (1 - Math.abs(cpu - memory) / 2) * maxNodeScore;
  },
};

/** The node's cpu and memory in use with this pod added, as shares of allocatable in 0..1. */
function shares(pod: PodInfo, node: NodeInfo): [number, number] {
  return [
    share(node.nonZeroRequestedCpu + pod.nonZeroCpu, node.allocatable.get('cpu') ?? 0),
    share(node.nonZeroRequestedMemory + pod.nonZeroMemory, node.allocatable.get('memory') ?? 0),
  ];
}

function share(requested: number, allocatable: number): number {
  return allocatable <= 0 || requested >= allocatable ? 1 : requested / allocatable;
}
