/**
 * Taints keep pods away from nodes: NoSchedule and NoExecute ones are hard (filter), PreferNoSchedule
 * ones soft (score: the fewer untolerated, the better).
 */
import {
  type FilterPlugin,
  normalizeToMax,
  type ScorePlugin,
  stateKey,
  success,
  unschedulable,
} from '../framework.ts';
import type { TolerationView } from '../types.ts';
import { describeTaint, tolerated } from '../../resources/tolerations.ts';

const preferNoScheduleTolerations = stateKey<readonly TolerationView[]>('TaintToleration/preferNoSchedule');

export const taintToleration: FilterPlugin & ScorePlugin = {
  name: 'TaintToleration',
  filter(_state, pod, node) {
    const taints = node.node.spec?.taints;
    if (!taints) return success;
    for (const taint of taints) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!tolerated(pod.pod.spec.tolerations, taint)) {
        return unschedulable(`node(s) had untolerated taint ${describeTaint(taint)}`);
      }
    }
    return success;
  },
  preScore(state, pod) {
    const tolerations = (pod.pod.spec.tolerations ?? []).filter(
      (t) => !t.effect || t.effect === 'PreferNoSchedule',
    );
    state.write(preferNoScheduleTolerations, tolerations);
    return success;
  },
  score(state, _pod, node) {
    const taints = node.node.spec?.taints;
    if (!taints) return 0;
    const tolerations = state.read(preferNoScheduleTolerations);
    let untolerated = 0;
    for (const taint of taints) {
      if (taint.effect === 'PreferNoSchedule' && !tolerated(tolerations, taint)) untolerated++;
    }
    return untolerated;
  },
  normalize: (_state, _pod, scores) => normalizeToMax(scores, true),
};
