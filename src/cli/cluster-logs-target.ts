/**
 * Which pod `marina logs|exec KIND/NAME` means, as kubectl picks it: a pod names itself; for a workload
 * (deploy, rs, job) one of the pods its selector matches, running before not, Ready before not, newest
 * first. Also the flags' kubectl meanings (`--since` as a duration back from now). Pure.
 */
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import { isPodReady } from '../cluster/controllers/replicaset/pod-state.ts';
import { labelSelectorMatches } from '../cluster/resources/label-selector.ts';
import type { LabelSelector } from '../cluster/resources/meta-schemas.ts';
import type { Pod } from '../cluster/resources/pod-schemas.ts';
import type { ResourceKind } from '../cluster/resources/registry.ts';
import { parseTimeBound } from '../engine/logs/log-query.ts';
import { invalid, MarinaError } from '../errors.ts';
import { objectRef } from './cluster-targets.ts';

/** The kinds whose pods logs and exec can reach: a Pod, or a workload that selects pods. */
export const podTargetKinds = ['Pod', 'Deployment', 'ReplicaSet', 'Job'] as const;

export function checkPodTargetKind(kind: ResourceKind): void {
  if (!(podTargetKinds as readonly string[]).includes(kind.kind)) {
    throw invalid(`${kind.plural} have no pods to reach here: use pod/NAME, deploy/NAME, rs/NAME or job/NAME`);
  }
}

const podRank = (pod: Pod): [number, number, number] => [
  pod.status?.phase === 'Running' ? 1 : 0,
  isPodReady(pod) ? 1 : 0,
  Date.parse(pod.metadata.creationTimestamp ?? '') || 0,
];

/** The workload's pod to read or enter; `NotFound` when its selector matches none. */
export function pickWorkloadPod(kind: ResourceKind, workload: KubeObject, pods: readonly Pod[]): Pod {
  const selector = (workload.spec as { selector?: LabelSelector } | undefined)?.selector;
  const name = workload.metadata.name ?? '';
  // An absent selector would match every pod: a workload without one has none of its own.
  const candidates = selector
    ? pods.filter((p) => !p.metadata.deletionTimestamp && labelSelectorMatches(selector, p.metadata.labels))
    : [];
  const best = candidates.reduce<Pod | undefined>((chosen, pod) => (chosen && !isBetter(podRank(pod), podRank(chosen)) ? chosen : pod), undefined);
  if (!best) throw new MarinaError('NotFound', `no pods found for ${objectRef(kind, name)}`);
  return best;
}

function isBetter(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

/** kubectl's `--since 5m`: whole seconds back from now, at least 1 (any time `logs --since` takes is read too). */
export function sinceSecondsOf(text: string, nowMs: number): number {
  const nowNano = BigInt(nowMs) * 1_000_000n;
  const back = nowNano - parseTimeBound(text, nowNano, 'since');
  if (back <= 0n) throw invalid(`--since ${text} is not in the past`);
  return Math.max(1, Math.ceil(Number(back) / 1e9));
}
