/**
 * Nodes whose Ready condition is not True take no new pods. Kubernetes expresses this with taints the node
 * lifecycle controller adds (not-ready when Ready is False or not yet reported, unreachable when Unknown);
 * the filter reads the condition itself so a node is never picked in the moment before the taint lands,
 * and reports it with the same taint, so a pod tolerating it (NoSchedule) still may go there.
 */
import { type FilterPlugin, success, unschedulable } from '../framework.ts';
import type { TaintView } from '../types.ts';
import { describeTaint, notReadyTaintKey, tolerated, unreachableTaintKey } from '../../resources/tolerations.ts';

const notReadyTaint: TaintView = { key: notReadyTaintKey, effect: 'NoSchedule' };
const unreachableTaint: TaintView = { key: unreachableTaintKey, effect: 'NoSchedule' };

export const nodeReady: FilterPlugin = {
  name: 'NodeReady',
  filter(_state, pod, node) {
    const ready = node.node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') return success;
    const taint = ready?.status === 'Unknown' ? unreachableTaint : notReadyTaint;
    if (tolerated(pod.pod.spec.tolerations, taint)) return success;
    return unschedulable(`node(s) had untolerated taint ${describeTaint(taint)}`);
  },
};
