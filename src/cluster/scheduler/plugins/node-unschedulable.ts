/** Cordoned nodes (spec.unschedulable) take only pods that tolerate the unschedulable taint. */
import { type FilterPlugin, success, unschedulable } from '../framework.ts';
import type { TaintView } from '../types.ts';
import { tolerated } from '../../resources/tolerations.ts';

const unschedulableTaint: TaintView = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_state, pod, node) {
    if (!node.node.spec?.unschedulable || tolerated(pod.pod.spec.tolerations, unschedulableTaint))
      return success;
    return unschedulable('node(s) were unschedulable');
  },
};
