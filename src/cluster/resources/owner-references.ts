/** Owner references, as the controllers and the garbage collector read and write them. */
import { MarinaError } from '../../errors.ts';
import type { ObjectMeta, OwnerReference } from './meta-schemas.ts';

interface Owned {
  metadata: Pick<ObjectMeta, 'ownerReferences'>;
}

interface Owner {
  apiVersion: string;
  kind: string;
  metadata: Pick<ObjectMeta, 'name' | 'uid'>;
}

/** The reference to the object's managing controller, if it has one (at most one may be marked controller). */
export function controllerOf(object: Owned): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** The object's owner references without those to `ownerUid`: what orphaning or releasing it writes. */
export function withoutOwner(object: Owned, ownerUid: string): OwnerReference[] {
  return (object.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== ownerUid);
}

export function isControlledBy(object: Owned, owner: Pick<Owner, 'metadata'>): boolean {
  const ref = controllerOf(object);
  return ref !== undefined && owner.metadata.uid !== undefined && ref.uid === owner.metadata.uid;
}

/**
 * The reference a controller puts on what it creates. `blockOwnerDeletion` makes a foreground deletion of
 * the owner wait for this object, as Kubernetes' controllers do.
 */
export function newControllerRef(owner: Owner): OwnerReference {
  const { name, uid } = owner.metadata;
  if (name === undefined || uid === undefined) {
    throw new MarinaError('Internal', 'a controller reference needs an owner with a name and a uid');
  }
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
