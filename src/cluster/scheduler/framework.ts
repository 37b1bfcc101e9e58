/**
 * The scheduling framework's extension points, shaped like Kubernetes': filter plugins say whether a pod
 * may run on a node (and why not), score plugins rank the nodes that may, and optional pre-filter and
 * pre-score steps do per-pod work once (cluster-wide counts for pod affinity and topology spread) rather
 * than once per node. Plugins are pure: they read the pod, the node and the snapshot, nothing else.
 */
import type { NodeInfo } from './node-info.ts';
import type { PodInfo } from './pod-info.ts';
import type { ClusterSnapshot } from './snapshot.ts';

/**
 * Success; Unschedulable with the reasons Kubernetes prints ("Insufficient cpu"); Skip from a pre-step
 * when the plugin has nothing to say about this pod, so its per-node step is not run at all.
 */
export type StatusCode = 'Success' | 'Unschedulable' | 'Skip';

export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
}

export const success: Status = Object.freeze({ code: 'Success', reasons: [] });
export const skip: Status = Object.freeze({ code: 'Skip', reasons: [] });

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

/** A typed slot in the cycle state; each plugin owns its keys. */
export interface StateKey<T> {
  readonly name: string;
  /** Never set: carries T so that read() returns what write() was given. */
  readonly type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}

/** What pre-steps compute for one pod's scheduling cycle, read by the per-node steps. */
export class CycleState {
  private readonly values = new Map<StateKey<unknown>, unknown>();

  write<T>(key: StateKey<T>, value: T): void {
    this.values.set(key, value);
  }

  read<T>(key: StateKey<T>): T {
    if (!this.values.has(key)) throw new Error(`scheduler: ${key.name} read before its pre-step wrote it`);
    return this.values.get(key) as T;
  }
}

/** The highest score a plugin gives a node (after normalizing); the lowest is 0. */
export const maxNodeScore = 100;

export interface FilterPlugin {
  readonly name: string;
  /** Once per pod. Unschedulable here rejects every node with these reasons; Skip drops filter(). */
  preFilter?(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot): Status;
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface ScorePlugin {
  readonly name: string;
  /** Once per pod, with the nodes that passed the filters. Skip drops score() for this pod. */
  preScore?(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot, nodes: readonly NodeInfo[]): Status;
  /** A raw score; in 0..maxNodeScore unless normalize() maps it there. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Maps the raw scores of all feasible nodes (in place) to 0..maxNodeScore. */
  normalize?(state: CycleState, pod: PodInfo, scores: number[]): void;
}

export interface WeightedScorePlugin {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

/** Which plugins run, in order, and how much each score counts: Kubernetes calls this a profile. */
export interface SchedulerProfile {
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly WeightedScorePlugin[];
}

/**
 * Scales scores so the highest becomes maxNodeScore; reversed, so the lowest does (for plugins whose raw
 * score counts something bad: untolerated taints, pods of the same owner). All zero: all equal.
 */
export function normalizeToMax(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    const scaled = max === 0 ? 0 : (maxNodeScore * scores[i]!) / max;
    scores[i] = reverse ? maxNodeScore - scaled : scaled;
  }
}

/** Maps min..max linearly onto 0..maxNodeScore (raw scores may be negative); all equal: all zero. */
export function normalizeMinMax(scores: number[]): void {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  for (let i = 0; i < scores.length; i++) {
    scores[i] = max === min ? 0 : (maxNodeScore * (scores[i]! - min)) / (max - min);
  }
}
