/** The message Kubernetes puts in a pod's FailedScheduling event, built from per-node rejection reasons. */

/**
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.` —
 * each reason with the number of nodes that gave it, sorted as text like Kubernetes sorts them. A node
 * rejected for several reasons at once (cpu and memory) counts under each.
 */
export function unschedulableMessage(totalNodes: number, reasonCounts: ReadonlyMap<string, number>): string {
  if (totalNodes === 0) return '0/0 nodes are available: no nodes available to schedule pods.';
  const reasons = [...reasonCounts].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${totalNodes} nodes are available: ${reasons.join(', ')}.`;
}
