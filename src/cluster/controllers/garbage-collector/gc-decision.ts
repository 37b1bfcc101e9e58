/**
 * The garbage collector's decisions over the ownership graph, pure (Kubernetes' garbagecollector, kept to
 * what Marina needs):
 * - a dependent: deleted when every owner is gone or is itself being deleted in the foreground (then
 *   in the foreground too if it has dependents of its own, so the cascade goes all the way down);
 *   otherwise references to owners that are gone are removed, and a foreground-deleting owner is no
 *   longer blocked by it (it has another, live, owner);
 * - an owner being deleted with the `orphan` finalizer: its dependents lose their reference to it, then
 *   the finalizer goes; with `foregroundDeletion`: its dependents are deleted, and the finalizer goes once
 *   no dependent that blocks owner deletion is left (the API server then removes the owner).
 */
import type { KubeObject } from '../../apiserver/api-kind.ts';
import { foregroundFinalizer, orphanFinalizer } from '../../apiserver/resource-service.ts';
import type { OwnerReference } from '../../resources/meta-schemas.ts';

export type OwnerState = 'present' | 'absent' | 'deletingForeground';

export type DependentAction =
  | { action: 'none' }
  | { action: 'delete'; propagation: 'Foreground' | 'Background' }
  | { action: 'updateReferences'; ownerReferences: OwnerReference[] };

/** What to do with an object with owner references, given each owner's state (by uid) and whether it owns anything. */
export function decideDependent(
  object: KubeObject,
  owners: ReadonlyMap<string, OwnerState>,
  hasDependents: boolean,
): DependentAction {
  const refs = object.metadata.ownerReferences ?? [];
  if (refs.length === 0 || object.metadata.deletionTimestamp) return { action: 'none' };
  const state = (ref: OwnerReference) => owners.get(ref.uid) ?? 'present';
  const live = refs.filter((ref) => state(ref) === 'present');
  if (live.length === 0) {
    const foreground = refs.some((ref) => state(ref) === 'deletingForeground');
    return { action: 'delete', propagation: foreground && hasDependents ? 'Foreground' : 'Background' };
  }
  const kept = refs
    .filter((ref) => state(ref) !== 'absent')
    .map((ref) =>
      state(ref) === 'deletingForeground' && ref.blockOwnerDeletion
        ? { ...ref, blockOwnerDeletion: false }
        : ref,
    );
  const changed = kept.length !== refs.length || kept.some((ref, i) => ref !== refs[i]);
  return changed ? { action: 'updateReferences', ownerReferences: kept } : { action: 'none' };
}

export interface OwnerDecision {
  /** Dependents to delete (foreground deletion). */
  deleteDependents: KubeObject[];
  /** Dependents to drop their reference to the owner (orphan deletion). */
  orphanDependents: KubeObject[];
  /** The finalizer whose work is done, to remove from the owner. */
  removeFinalizer?: string;
}

/** What to do for an owner being deleted with the orphan or foreground finalizer, given its dependents. */
export function decideOwner(owner: KubeObject, dependents: readonly KubeObject[]): OwnerDecision {
  const none: OwnerDecision = { deleteDependents: [], orphanDependents: [] };
  const finalizers = owner.metadata.finalizers ?? [];
  const uid = owner.metadata.uid;
  if (!owner.metadata.deletionTimestamp || !uid) return none;
  const referencing = dependents.filter((d) => d.metadata.ownerReferences?.some((ref) => ref.uid === uid));
  if (finalizers.includes(orphanFinalizer)) {
    return referencing.length > 0
      ? { ...none, orphanDependents: referencing }
      : { ...none, removeFinalizer: orphanFinalizer };
  }
  if (finalizers.includes(foregroundFinalizer)) {
    const blocking = referencing.filter((d) =>
      d.metadata.ownerReferences?.some((ref) => ref.uid === uid && ref.blockOwnerDeletion),
    );
    return {
      ...none,
      deleteDependents: referencing.filter((d) => !d.metadata.deletionTimestamp),
      ...(blocking.length === 0 ? { removeFinalizer: foregroundFinalizer } : {}),
    };
  }
  return none;
}

/** The dependent's references without those to `ownerUid`. */
/** How an owner found (or not) stands for its dependents. */
export function ownerStateOf(found: KubeObject | undefined, uid: string): OwnerState {
  if (!found || found.metadata.uid !== uid) return 'absent';
  const deleting =
    found.metadata.deletionTimestamp && found.metadata.finalizers?.includes(foregroundFinalizer);
  return deleting ? 'deletingForeground' : 'present';
}
