/**
 * The control plane's storage: one narrow interface, shaped after etcd's key-value model, so that the
 * embedded SQLite store (the default) and an etcd store (HA clusters) are drop-ins for each other.
 *
 * Every change gets the next store-wide revision. A value's `modRevision` is what the API calls its
 * `resourceVersion`: updates and deletes may name the revision they expect (optimistic concurrency), and a
 * watch resumes from a revision. Values are JSON; keys are opaque strings that the API server lays out
 * (`/registry/<group>/<resource>/<namespace>/<name>`) so that a prefix lists a resource or a namespace.
 */

export interface KeyValue {
  key: string;
  /** A JSON value (the stored object). */
  value: unknown;
  /** The revision that created the key (unchanged by updates). */
  createRevision: number;
  /** The revision of the last change to the key. */
  modRevision: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For a put, the new value; for a delete, the last value, with `modRevision` the deletion's revision. */
  kv: KeyValue;
  /** The value before a put that replaced one (absent when the put created the key). */
  previous?: KeyValue;
}

export interface ListResult {
  items: KeyValue[];
  /** The store's revision the list was read at: a watch from here misses nothing and repeats nothing. */
  revision: number;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  /** Every key under `prefix`, in key order. */
  list(prefix: string): Promise<ListResult>;
  /** Fails with `Conflict` when the key exists. */
  create(key: string, value: unknown): Promise<KeyValue>;
  /**
   * Replaces the value. `NotFound` when the key does not exist; `Conflict` when `expectedModRevision` is
   * given and the key was changed since.
   */
  update(key: string, value: unknown, expectedModRevision?: number): Promise<KeyValue>;
  /** Removes the key and returns its last value; same errors as `update`. */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  /**
   * The changes under `prefix` with a revision above `afterRevision`, in revision order, then live ones
   * until `signal` aborts. `Expired` (410) when history before `afterRevision` was already compacted away;
   * the watch also ends with `Expired` when its reader falls too far behind. Either way the reader lists
   * again and watches from the list's revision, as Kubernetes clients do.
   */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent>;
  /** The revision of the newest change. */
  revision(): Promise<number>;
  close(): Promise<void>;
}
