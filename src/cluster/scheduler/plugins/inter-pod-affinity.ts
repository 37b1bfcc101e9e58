/**
 * Pod affinity and anti-affinity: where a pod may go depends on where other pods already are, by topology
 * domain (a node, a zone: the value of topologyKey on a node). Hard rules filter, both ways round: the
 * incoming pod's required (anti-)affinity, and existing pods' required anti-affinity against it. Soft
 * rules score, also both ways round. The cluster-wide counting happens once per pod, in the pre-steps.
 */
import {
  type FilterPlugin,
  normalizeMinMax,
  type ScorePlugin,
  skip,
  stateKey,
  success,
  unschedulable,
} from '../framework.ts';
import { entryOf } from '../map-entry.ts';
import { type AffinityTerm, termSelects } from '../pod-info.ts';
import type { ClusterSnapshot } from '../snapshot.ts';

/** Counts by topology value, per topology key. */
type DomainCounts = Map<string, Map<string, number>>;

interface FilterCounts {
  /** Domains where an existing pod's required anti-affinity selects the incoming pod. */
  readonly existingAntiAffinity: DomainCounts;
  /** Per required affinity term of the incoming pod: matching pods by topology value. */
  readonly affinity: readonly Map<string, number>[];
  readonly antiAffinity: readonly Map<string, number>[];
  /** No pod anywhere matches the affinity terms, but the pod matches them itself: it may go first. */
  readonly mayStartGroup: boolean;
}

const filterCounts = stateKey<FilterCounts>('InterPodAffinity/filter');
const preferenceScores = stateKey<DomainCounts>('InterPodAffinity/score');

/** Kubernetes' hardPodAffinityWeight: an existing pod's required affinity also draws, softly, its peers. */
const requiredAffinityScoreWeight = 1;

function addToDomain(counts: DomainCounts, key: string, value: string | undefined, amount: number): void {
  if (value === undefined) return;
  const byValue = entryOf(counts, key, () => new Map<string, number>());
  byValue.set(value, (byValue.get(value) ?? 0) + amount);
}

function countByDomain(snapshot: ClusterSnapshot, term: AffinityTerm): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { node } of snapshot.podsMatching(term.namespaces, term.selector)) {
    const value = node.labels[term.topologyKey];
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

const inDomain = (counts: Map<string, number>, value: string) => (counts.get(value) ?? 0) > 0;

export const interPodAffinity: FilterPlugin & ScorePlugin = {
  name: 'InterPodAffinity',
  preFilter(state, pod, snapshot) {
    const existingAntiAffinity: DomainCounts = new Map();
    for (const existing of snapshot.podsWithRequiredAntiAffinity) {
      for (const term of existing.info.requiredAntiAffinityTerms) {
        if (termSelects(term, pod)) {
          addToDomain(existingAntiAffinity, term.topologyKey, existing.node.labels[term.topologyKey], 1);
        }
      }
    }
    const hasOwnTerms = pod.requiredAffinityTerms.length > 0 || pod.requiredAntiAffinityTerms.length > 0;
    if (!hasOwnTerms && existingAntiAffinity.size === 0) return skip;
    const affinity = pod.requiredAffinityTerms.map((t) => countByDomain(snapshot, t));
    state.write(filterCounts, {
      existingAntiAffinity,
      affinity,
      antiAffinity: pod.requiredAntiAffinityTerms.map((t) => countByDomain(snapshot, t)),
      mayStartGroup:
        affinity.every((counts) => counts.size === 0) &&
        pod.requiredAffinityTerms.every((t) => termSelects(t, pod)),
    });
    return success;
  },
  filter(state, pod, node) {
    const counts = state.read(filterCounts);
    let affinityMet = true;
    for (let i = 0; i < pod.requiredAffinityTerms.length; i++) {
      const value = node.labels[pod.requiredAffinityTerms[i]!.topologyKey];
      // Even the first pod of a group needs the node to be in some domain of every term.
      if (value === undefined) return unschedulable("node(s) didn't match pod affinity rules");
      if (!inDomain(counts.affinity[i]!, value)) affinityMet = false;
    }
    if (!affinityMet && !counts.mayStartGroup)
      return unschedulable("node(s) didn't match pod affinity rules");
    for (let i = 0; i < pod.requiredAntiAffinityTerms.length; i++) {
      const value = node.labels[pod.requiredAntiAffinityTerms[i]!.topologyKey];
      if (value !== undefined && inDomain(counts.antiAffinity[i]!, value)) {
        return unschedulable("node(s) didn't match pod anti-affinity rules");
      }
    }
    for (const [key, byValue] of counts.existingAntiAffinity) {
      const value = node.labels[key];
      if (value !== undefined && inDomain(byValue, value)) {
        return unschedulable("node(s) didn't satisfy existing pods anti-affinity rules");
      }
    }
    return success;
  },
  preScore(state, pod, snapshot) {
    const scores: DomainCounts = new Map();
    for (const [terms, sign] of [
      [pod.preferredAffinityTerms, 1],
      [pod.preferredAntiAffinityTerms, -1],
    ] as const) {
      for (const term of terms) {
        for (const { node } of snapshot.podsMatching(term.namespaces, term.selector)) {
          addToDomain(scores, term.topologyKey, node.labels[term.topologyKey], sign * term.weight);
        }
      }
    }
    for (const { info, node } of snapshot.podsWithAffinity) {
      const add = (term: AffinityTerm, amount: number) => {
        if (termSelects(term, pod))
          addToDomain(scores, term.topologyKey, node.labels[term.topologyKey], amount);
      };
      for (const term of info.preferredAffinityTerms) add(term, term.weight);
      for (const term of info.preferredAntiAffinityTerms) add(term, -term.weight);
      for (const term of info.requiredAffinityTerms) add(term, requiredAffinityScoreWeight);
    }
    if (scores.size === 0) return skip;
    state.write(preferenceScores, scores);
    return success;
  },
  score(state, _pod, node) {
    let sum = 0;
    for (const [key, byValue] of state.read(preferenceScores)) {
      const value = node.labels[key];
      if (value !== undefined) sum += byValue.get(value) ?? 0;
    }
    return sum;
  },
  normalize: (_state, _pod, scores) => normalizeMinMax(scores),
};
