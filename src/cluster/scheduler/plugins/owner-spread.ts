/**
 * The default spreading: replicas of one owner (a ReplicaSet's pods, a Job's) prefer nodes with fewer of
 * their siblings, so losing a node loses few of them. Kubernetes' SelectorSpread did this by the owner's
 * selector; the controlling owner reference names the same group without a lookup.
 */
import { normalizeToMax, type ScorePlugin, skip, success } from '../framework.ts';

export const ownerSpread: ScorePlugin = {
  name: 'OwnerSpread',
  preScore: (_state, pod) => (pod.controllerUid === undefined ? skip : success),
  score: (_state, pod, node) => node.podsByController.get(pod.controllerUid!) ?? 0,
  normalize: (_state, _pod, scores) => normalizeToMax(scores, true),
};
