/** A pod that names its node (spec.nodeName) fits no other. */
import { type FilterPlugin, skip, success, unschedulable } from '../framework.ts';

export const nodeName: FilterPlugin = {
  name: 'NodeName',
  preFilter: (_state, pod) => (pod.pod.spec.nodeName ? success : skip),
  filter(_state, pod, node) {
    if (pod.pod.spec.nodeName === node.name) return success;
    return unschedulable("node(s) didn't match the requested node name");
  },
};
