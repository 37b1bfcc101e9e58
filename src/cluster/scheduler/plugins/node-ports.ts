/** A host port (protocol, address, port) can be taken by one pod per node. */
import { type FilterPlugin, skip, success, unschedulable } from '../framework.ts';

export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  preFilter: (_state, pod) => (pod.hostPorts.length > 0 ? success : skip),
  filter(_state, pod, node) {
    for (const port of pod.hostPorts) {
      if (node.usedPorts.conflicts(port)) {
        return unschedulable("node(s) didn't have free ports for the requested pod ports");
      }
    }
    return success;
  },
};
