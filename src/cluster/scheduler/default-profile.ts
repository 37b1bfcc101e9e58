/**
 * The plugins Marina schedules with, in Kubernetes' default order and with its default score weights.
 * Cheap, common rejections come first so most nodes are turned away before the costly checks run.
 */
import type { SchedulerProfile } from './framework.ts';
import { interPodAffinity } from './plugins/inter-pod-affinity.ts';
import { nodeAffinity } from './plugins/node-affinity.ts';
import { nodeName } from './plugins/node-name.ts';
import { nodePorts } from './plugins/node-ports.ts';
import { nodeReady } from './plugins/node-ready.ts';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './plugins/node-resources.ts';
import { nodeUnschedulable } from './plugins/node-unschedulable.ts';
import { ownerSpread } from './plugins/owner-spread.ts';
import { podTopologySpread } from './plugins/pod-topology-spread.ts';
import { taintToleration } from './plugins/taint-toleration.ts';

export const defaultProfile: SchedulerProfile = {
  filters: [
    nodeReady,
    nodeUnschedulable,
    nodeName,
    taintToleration,
    nodeAffinity,
    nodePorts,
    nodeResourcesFit,
    podTopologySpread,
    interPodAffinity,
  ],
  scores: [
    { plugin: taintToleration, weight: 3 },
    { plugin: nodeAffinity, weight: 2 },
    { plugin: podTopologySpread, weight: 2 },
    { plugin: interPodAffinity, weight: 2 },
    { plugin: nodeResourcesFit, weight: 1 },
    { plugin: nodeResourcesBalancedAllocation, weight: 1 },
    { plugin: ownerSpread, weight: 1 },
  ],
};
