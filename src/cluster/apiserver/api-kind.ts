/**
 * What the API server needs to know about a kind to serve it: where it lives in the URL space and the
 * store, and its admission (defaulting and validation). The kind registry (cluster/resources) provides one
 * per supported kind; the API server's logic is the same for all of them.
 */
import type { ObjectMeta } from '../resources/meta-schemas.ts';

/** Any stored object: the Kubernetes envelope, the rest kind-specific. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface Admitted {
  object: KubeObject;
  /** Shown to the client (as Kubernetes' `Warning` headers): fields Marina keeps but does not act on. */
  warnings: string[];
}

export interface ApiKind {
  /** '' for the core group (`/api/v1`). */
  group: string;
  version: string;
  kind: string;
  /** The URL and store name: `pods`, `deployments`. */
  plural: string;
  namespaced: boolean;
  /** Whether `status` is written only through the `/status` subresource. */
  hasStatus: boolean;
  /** Fields `?fieldSelector=` may name (`metadata.name`, `spec.nodeName`, …). */
  selectableFields: readonly string[];
  /**
   * Parses, defaults and validates an object being created (`old` undefined) or updated; throws
   * `Invalid` naming each field path that is wrong. Runs after the API server has set the metadata it
   * owns, so a validator may rely on name and namespace being there.
   */
  admit(object: unknown, old: KubeObject | undefined): Admitted;
}

export function apiVersionOf(kind: Pick<ApiKind, 'group' | 'version'>): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}

/** The kinds served, for routing a request and for discovery. */
export interface KindCatalog {
  readonly kinds: readonly ApiKind[];
  byResource(group: string, version: string, plural: string): ApiKind | undefined;
}

/**
 * Values one kind's objects take from a shared pool when they are written (a Service's clusterIP and node
 * ports), as Kubernetes' API server allocates them at create and frees them at delete. What is taken is
 * DERIVED from the stored objects: the API server rebuilds it from a list before its first write of the
 * kind and settles it after every write, serializing writes of the kind, so a crash never leaks a value.
 */
export interface KindAllocator {
  /** The kind served (matched on group and plural). */
  readonly group: string;
  readonly plural: string;
  /** Forgets everything, then marks taken what `objects` (every stored object of the kind) hold. */
  rebuild(objects: readonly KubeObject[]): void;
  /**
   * The admitted object with what it lacks allocated (on update, kept from `old` first), reserved for its
   * uid; throws (Invalid, Conflict) reserving nothing when a requested value is out of range or taken.
   */
  allocate(object: KubeObject, old: KubeObject | undefined): KubeObject;
  /** The object `uid` now holds exactly what `object` holds: nothing when undefined (deleted, never written). */
  settle(uid: string, object: KubeObject | undefined): void;
}
