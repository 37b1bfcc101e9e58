/**
 * nodeSelector and required node affinity decide where a pod may go (filter); preferred node affinity
 * terms add their weight to the nodes they match (score).
 */
import {
  type FilterPlugin,
  normalizeToMax,
  type ScorePlugin,
  skip,
  stateKey,
  success,
  unschedulable,
} from '../framework.ts';
import { compileNodeSelectorTerm, type NodeMatcher } from '../selectors.ts';

interface WeightedNodeMatcher {
  readonly weight: number;
  readonly matches: NodeMatcher;
}

const preferredTerms = stateKey<readonly WeightedNodeMatcher[]>('NodeAffinity/preferred');

export const nodeAffinity: FilterPlugin & ScorePlugin = {
  name: 'NodeAffinity',
  preFilter: (_state, pod) => (pod.hasRequiredNodeAffinity ? success : skip),
  filter(_state, pod, node) {
    if (pod.matchesRequiredNodeAffinity(node.node)) return success;
    return unschedulable("node(s) didn't match Pod's node affinity/selector");
  },
  preScore(state, pod) {
    const preferred =
      pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (preferred.length === 0) return skip;
    state.write(
      preferredTerms,
      preferred.map((t) => ({ weight: t.weight, matches: compileNodeSelectorTerm(t.preference) })),
    );
    return success;
  },
  score(state, _pod, node) {
    let sum = 0;
    for (const term of state.read(preferredTerms)) if (term.matches(node.node)) sum += term.weight;
    return sum;
  },
  normalize: (_state, _pod, scores) => normalizeToMax(scores, false),
};
