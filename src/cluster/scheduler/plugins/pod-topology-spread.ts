/**
 * Topology spread constraints: matching pods should be spread over the domains of topologyKey (nodes,
 * zones) with at most maxSkew more in one domain than in the emptiest. DoNotSchedule constraints filter,
 * ScheduleAnyway ones score. Domains are those of the nodes the pod could go to at all (its nodeSelector
 * and required node affinity hold, the node carries every constraint's key), as in Kubernetes.
 */
import {
  type FilterPlugin,
  maxNodeScore,
  type ScorePlugin,
  skip,
  stateKey,
  success,
  unschedulable,
} from '../framework.ts';
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';
import { compileLabelSelector, type LabelMatcher } from '../selectors.ts';
import type { ClusterSnapshot } from '../snapshot.ts';
import type { Labels } from '../types.ts';

interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: LabelMatcher;
  /** 1 when the incoming pod matches its own selector, so placing it adds to the domain's count. */
  readonly selfMatch: 0 | 1;
}

interface DomainCounts {
  readonly constraints: readonly Constraint[];
  /** Per constraint: matching pods by topology value, every eligible domain present (possibly 0). */
  readonly counts: readonly Map<string, number>[];
}

interface FilterCounts extends DomainCounts {
  readonly minimums: readonly number[];
}

interface ScoreCounts extends DomainCounts {
  /** Per constraint: constraints over more domains weigh more (log, as Kubernetes weighs them). */
  readonly weights: readonly number[];
}

const filterCounts = stateKey<FilterCounts>('PodTopologySpread/filter');
const scoreCounts = stateKey<ScoreCounts>('PodTopologySpread/score');

/** A node missing a constraint's key is in no domain: the filter rejects it, the score ranks it last. */
const outsideAllDomains = -1;

function constraintsOf(pod: PodInfo, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  return (pod.pod.spec.topologySpreadConstraints ?? [])
    .filter((c) => c.whenUnsatisfiable === whenUnsatisfiable)
    .map((c) => {
      const selector = compileLabelSelector(c.labelSelector);
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        selfMatch: selector.matches(pod.labels) ? 1 : 0,
      };
    });
}

function hasAllKeys(labels: Labels, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) if (labels[c.topologyKey] === undefined) return false;
  return true;
}

function countDomains(
  snapshot: ClusterSnapshot,
  pod: PodInfo,
  constraints: readonly Constraint[],
): DomainCounts {
  const counts = constraints.map(() => new Map<string, number>());
  const eligible = new Set<NodeInfo>();
  for (const node of snapshot.nodes) {
    if (!hasAllKeys(node.labels, constraints)) continue;
    if (pod.hasRequiredNodeAffinity && !pod.matchesRequiredNodeAffinity(node.node)) continue;
    eligible.add(node);
    constraints.forEach((c, i) => {
      const value = node.labels[c.topologyKey]!;
      if (!counts[i]!.has(value)) counts[i]!.set(value, 0);
    });
  }
  const namespaces = new Set([pod.namespace]);
  constraints.forEach((c, i) => {
    const byValue = counts[i]!;
    for (const { node } of snapshot.podsMatching(namespaces, c.selector)) {
      if (!eligible.has(node)) continue;
      const value = node.labels[c.topologyKey]!;
      byValue.set(value, byValue.get(value)! + 1);
    }
  });
  return { constraints, counts };
}

export const podTopologySpread: FilterPlugin & ScorePlugin = {
  name: 'PodTopologySpread',
  preFilter(state, pod, snapshot) {
    const constraints = constraintsOf(pod, 'DoNotSchedule');
    if (constraints.length === 0) return skip;
    const domains = countDomains(snapshot, pod, constraints);
    const minimums = domains.counts.map((byValue) =>
      byValue.size === 0 ? 0 : Math.min(...byValue.values()),
    );
    state.write(filterCounts, { ...domains, minimums });
    return success;
  },
  filter(state, _pod, node) {
    const { constraints, counts, minimums } = state.read(filterCounts);
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      const value = node.labels[c.topologyKey];
      if (value === undefined) {
        return unschedulable("node(s) didn't match pod topology spread constraints (missing required label)");
      }
      const skew = (counts[i]!.get(value) ?? 0) + c.selfMatch - minimums[i]!;
      if (skew > c.maxSkew) return unschedulable("node(s) didn't match pod topology spread constraints");
    }
    return success;
  },
  preScore(state, pod, snapshot) {
    const constraints = constraintsOf(pod, 'ScheduleAnyway');
    if (constraints.length === 0) return skip;
    const domains = countDomains(snapshot, pod, constraints);
    state.write(scoreCounts, {
      ...domains,
      weights: domains.counts.map((byValue) => Math.log(byValue.size + 2)),
    });
    return success;
  },
  /** Raw: matching pods already in the node's domains, weighted; fewer is better (see normalize). */
  score(state, _pod, node) {
    const { constraints, counts, weights } = state.read(scoreCounts);
    let sum = 0;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      const value = node.labels[c.topologyKey];
      if (value === undefined) return outsideAllDomains;
      sum += (counts[i]!.get(value) ?? 0) * weights[i]! + (c.maxSkew - 1);
    }
    return sum;
  },
  normalize(_state, _pod, scores) {
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const s of scores) {
      if (s === outsideAllDomains) continue;
      if (s < min) min = s;
      if (s > max) max = s;
    }
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      if (s === outsideAllDomains) scores[i] = 0;
      else scores[i] = max === 0 ? maxNodeScore : (maxNodeScore * (max + min - s)) / max;
    }
  },
};
