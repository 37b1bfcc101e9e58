/**
 * One scheduling decision: which node a pod goes to, or why none fits. Filters run over the nodes, scores
 * rank the nodes that passed, the weighted sum picks one. Pure: the caller owns the snapshot, applies the
 * decision (assume, then bind) and records the unschedulable message as the pod's event.
 */

import { defaultProfile } from './default-profile.ts';
import {
  CycleState,
  type FilterPlugin,
  type SchedulerProfile,
  type ScorePlugin,
  type Status,
} from './framework.ts';
import type { NodeInfo } from './node-info.ts';
import { newPodInfo, type PodInfo } from './pod-info.ts';
import type { ClusterSnapshot } from './snapshot.ts';
import type { PodView } from './types.ts';
import { unschedulableMessage } from './unschedulable-message.ts';

export type ScheduleResult =
  | {
      readonly kind: 'Scheduled';
      readonly node: string;
      /** Nodes the filters looked at; fewer than the cluster's when sampling stopped early. */
      readonly evaluatedNodes: number;
      readonly feasibleNodes: number;
    }
  | {
      readonly kind: 'Unschedulable';
      /** For the pod's FailedScheduling event: `0/3 nodes are available: 1 Insufficient cpu, …`. */
      readonly message: string;
      /** Reason → number of nodes that gave it. */
      readonly reasons: ReadonlyMap<string, number>;
    };

export interface SchedulerOptions {
  /** The scheduler's name: it schedules the pods whose spec.schedulerName is this or unset. */
  readonly name?: string;
  readonly profile?: SchedulerProfile;
  /**
   * Share of the nodes (1..100) the filters look for feasible ones in before scoring, as Kubernetes'
   * percentageOfNodesToScore; unset: adaptive (50% minus 1% per 125 nodes, at least 5%), and never fewer
   * than 100 nodes. Large clusters have many equally good nodes; scoring a rotating sample of them keeps
   * each decision fast while still spreading pods over every node (the sample starts where the last
   * pod's search stopped).
   */
  readonly percentageOfNodesToScore?: number;
  /** Seeds the tie-break among equally scored nodes: the same inputs and seed give the same decisions. */
  readonly seed?: number;
}

export const defaultSchedulerName = 'default-scheduler';
const minFeasibleNodesToFind = 100;
const minAdaptivePercentage = 5;

/** How many feasible nodes are enough to stop filtering and start scoring. */
export function feasibleNodesToFind(totalNodes: number, percentage?: number): number {
  if (totalNodes < minFeasibleNodesToFind || (percentage ?? 0) >= 100) return totalNodes;
  const share = percentage || Math.max(minAdaptivePercentage, 50 - totalNodes / 125);
  return Math.max(minFeasibleNodesToFind, Math.floor((totalNodes * share) / 100));
}

/** mulberry32: a small seeded generator, so that a tie-break is fair yet reproducible. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Scheduler {
  readonly name: string;
  private readonly profile: SchedulerProfile;
  private readonly percentageOfNodesToScore: number | undefined;
  private readonly random: () => number;
  /** Where the next search for feasible nodes starts, so successive pods sample different nodes. */
  private nextStartNodeIndex = 0;

  constructor(options: SchedulerOptions = {}) {
    this.name = options.name ?? defaultSchedulerName;
    this.profile = options.profile ?? defaultProfile;
    this.percentageOfNodesToScore = options.percentageOfNodesToScore;
    this.random = seededRandom(options.seed ?? 1);
  }

  /** Whether this scheduler should place the pod: not yet bound, and addressed to it. */
  responsibleFor(pod: PodView): boolean {
    return !pod.spec.nodeName && (pod.spec.schedulerName ?? defaultSchedulerName) === this.name;
  }

  schedule(podView: PodView, snapshot: ClusterSnapshot): ScheduleResult {
    const pod = newPodInfo(podView);
    const state = new CycleState();
    const nodes = snapshot.nodes;
    const filters: FilterPlugin[] = [];
    for (const plugin of this.profile.filters) {
      const status = plugin.preFilter?.(state, pod, snapshot);
      if (status?.code === 'Skip') continue;
      if (status?.code === 'Unschedulable')
        return this.unschedulable(nodes.length, everyNodeRejected(status, nodes));
      filters.push(plugin);
    }

    const reasons = new Map<string, number>();
    const feasible = this.findFeasibleNodes(state, pod, nodes, filters, reasons);
    if (feasible.nodes.length === 0) return this.unschedulable(nodes.length, reasons);
    const chosen =
      feasible.nodes.length === 1 ? feasible.nodes[0]! : this.pickBest(state, pod, snapshot, feasible.nodes);
    return {
      kind: 'Scheduled',
      node: chosen.name,
      evaluatedNodes: feasible.evaluated,
      feasibleNodes: feasible.nodes.length,
    };
  }

  private findFeasibleNodes(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    filters: readonly FilterPlugin[],
    reasons: Map<string, number>,
  ): { nodes: NodeInfo[]; evaluated: number } {
    const wanted = feasibleNodesToFind(nodes.length, this.percentageOfNodesToScore);
    const found: NodeInfo[] = [];
    const start = nodes.length === 0 ? 0 : this.nextStartNodeIndex % nodes.length;
    let evaluated = 0;
    while (evaluated < nodes.length && found.length < wanted) {
      const node = nodes[(start + evaluated) % nodes.length]!;
      evaluated++;
      const rejection = firstRejection(state, pod, node, filters);
      if (rejection === undefined) found.push(node);
      else for (const reason of rejection.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    this.nextStartNodeIndex = nodes.length === 0 ? 0 : (start + evaluated) % nodes.length;
    return { nodes: found, evaluated };
  }

  private pickBest(
    state: CycleState,
    pod: PodInfo,
    snapshot: ClusterSnapshot,
    nodes: readonly NodeInfo[],
  ): NodeInfo {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const { plugin, weight } of this.profile.scores) {
      const scores = runScorePlugin(plugin, state, pod, snapshot, nodes);
      if (scores) for (let i = 0; i < nodes.length; i++) totals[i]! += weight * scores[i]!;
    }
    // Reservoir sampling over the best: each of k equally scored nodes is picked with chance 1/k.
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      if (totals[i]! > totals[best]!) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best] && this.random() * ++ties < 1) {
        best = i;
      }
    }
    return nodes[best]!;
  }

  private unschedulable(totalNodes: number, reasons: ReadonlyMap<string, number>): ScheduleResult {
    return { kind: 'Unschedulable', message: unschedulableMessage(totalNodes, reasons), reasons };
  }
}

function firstRejection(
  state: CycleState,
  pod: PodInfo,
  node: NodeInfo,
  filters: readonly FilterPlugin[],
): Status | undefined {
  for (const plugin of filters) {
    const status = plugin.filter(state, pod, node);
    if (status.code === 'Unschedulable') return status;
  }
  return undefined;
}

/** Normalized scores of every node for one plugin, or undefined when it skipped this pod. */
function runScorePlugin(
  plugin: ScorePlugin,
  state: CycleState,
  pod: PodInfo,
  snapshot: ClusterSnapshot,
  nodes: readonly NodeInfo[],
): number[] | undefined {
  if (plugin.preScore?.(state, pod, snapshot, nodes).code === 'Skip') return undefined;
  const scores = new Array<number>(nodes.length);
  for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(state, pod, nodes[i]!);
  plugin.normalize?.(state, pod, scores);
  return scores;
}

function everyNodeRejected(status: Status, nodes: readonly NodeInfo[]): Map<string, number> {
  return new Map(status.reasons.map((reason) => [reason, nodes.length]));
}
