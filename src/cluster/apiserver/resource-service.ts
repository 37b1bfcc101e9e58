/**
 * The API server's logic, the same for every kind: metadata the server owns (uid, creation time,
 * generation, resourceVersion), admission, optimistic concurrency, the status subresource, merge and JSON
 * patches, graceful and finalizer-driven deletion, and watches with selectors. The HTTP routes
 * (api/cluster/) and the in-process controllers both call this; nothing else writes cluster objects.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import jsonMergePatch from 'json-merge-patch';
import { invalid, isMarinaError, MarinaError } from '../../errors.ts';
import type { Store, WatchEvent } from '../store/store.ts';
import type { ResourceClient } from './resource-client.ts';
import { type Admitted, type ApiKind, apiVersionOf, type KindAllocator, type KubeObject } from './api-kind.ts';
import { bothFilters, compileSelectors, type ObjectFilter, type Selectors } from './object-filter.ts';
import { collectionPrefix, objectKey } from './store-keys.ts';
import { kubeTime } from '../resources/kube-time.ts';

export type { ObjectFilter, Selectors } from './object-filter.ts';

export interface ObjectList {
  items: KubeObject[];
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ObjectEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface Written {
  object: KubeObject;
  warnings: string[];
}

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  /** Pods only: how long the node agent has to stop it; 0 removes it at once. */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = 'merge' | 'json';

/** Finalizers the garbage collector acts on (Kubernetes' names). */
export const foregroundFinalizer = 'foregroundDeletion';
export const orphanFinalizer = 'orphan';

/** Where Namespace objects are, for the check that an object's namespace exists. */
const namespaces = { group: '', plural: 'namespaces', namespaced: false };

/** How often a read-modify-write (patch) retries when another writer got in between. */
const patchAttempts = 5;

/** A kind's allocator, whether it has been rebuilt from the store yet, and the tail of its writes. */
interface AllocatorState {
  allocator: KindAllocator;
  built: boolean;
  writes: Promise<unknown>;
}

export class ResourceService implements ResourceClient {
  private readonly store: Store;
  private readonly now: () => Date;
  private readonly allocators: Map<string, AllocatorState>;

  constructor(store: Store, now: () => Date = () => new Date(), allocators: readonly KindAllocator[] = []) {
    this.store = store;
    this.now = now;
    this.allocators = new Map(
      allocators.map((allocator) => [allocatorKey(allocator), { allocator, built: false, writes: Promise.resolve() }]),
    );
  }

  async get(kind: ApiKind, namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.store.get(objectKey(kind, namespace, name));
    if (!kv) throw notFound(kind, name);
    return withVersion(kv.value, kv.modRevision);
  }

  /** The objects of `kind` (in `namespace`, or all); `filter` and `selectors` both narrow the list. */
  async list(kind: ApiKind, namespace?: string, filter?: ObjectFilter, selectors?: Selectors): Promise<ObjectList> {
    const keep = bothFilters(filter, compileSelectors(kind, selectors));
    const { items, revision } = await this.store.list(collectionPrefix(kind, namespace));
    const objects = items.map((kv) => withVersion(kv.value, kv.modRevision));
    return { items: keep ? objects.filter(keep) : objects, resourceVersion: String(revision) };
  }

  async create(kind: ApiKind, namespace: string | undefined, body: unknown): Promise<Written> {
    const object = envelope(kind, body);
    const meta = object.metadata;
    if (kind.namespaced) {
      meta.namespace = this.namespaceOf(meta.namespace, namespace);
      await this.requireNamespace(meta.namespace);
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    if (!meta.name) throw invalid('metadata.name: Required value: name or generateName is required');
    meta.uid = randomUUID();
    meta.creationTimestamp = this.timestamp();
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    const admitted = kind.admit(object, undefined);
    const name = meta.name;
    const uid = meta.uid;
    return this.allocating(kind, async (allocator) => {
      const allocated = allocator ? allocator.allocate(admitted.object, undefined) : admitted.object;
      try {
        const kv = await this.store.create(objectKey(kind, meta.namespace, name), stored(allocated));
        allocator?.settle(uid, kv.value as KubeObject);
        return { object: withVersion(kv.value, kv.modRevision), warnings: admitted.warnings };
      } catch (err) {
        allocator?.settle(uid, undefined);
        if (isMarinaError(err, 'Conflict')) {
          throw new MarinaError('Conflict', `${describe(kind, name)} already exists`, { details: { reason: 'AlreadyExists' } });
        }
        throw err;
      }
    });
  }

  /**
   * Replaces the object's spec and metadata (its status, for kinds with a status subresource, stays);
   * with `metadata.resourceVersion` set, only if nobody changed it since.
   */
  async update(kind: ApiKind, namespace: string | undefined, name: string, body: unknown): Promise<Written> {
    return this.replace(kind, namespace, name, body, 'main');
  }

  /** Replaces only the status. */
  async updateStatus(kind: ApiKind, namespace: string | undefined, name: string, body: unknown): Promise<Written> {
    if (!kind.hasStatus) throw new MarinaError('NotFound', `${kind.plural} have no status subresource`);
    return this.replace(kind, namespace, name, body, 'status');
  }

  /** Applies a JSON merge patch (RFC 7386) or a JSON patch (RFC 6902) to the current object. */
  async patch(
    kind: ApiKind,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: { type: PatchType; subresource?: 'status' },
  ): Promise<Written> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(kind, namespace, name);
      const patched = applyPatch(current, patch, options.type);
      // The read's version makes the write conditional: another writer in between means try again.
      if (isPlainObject(patched.metadata)) patched.metadata.resourceVersion = current.metadata.resourceVersion;
      try {
        return await this.replace(kind, namespace, name, patched, options.subresource === 'status' ? 'status' : 'main');
      } catch (err) {
        if (!isMarinaError(err, 'Conflict') || attempt === patchAttempts) throw err;
      }
    }
  }

  /**
   * Kubernetes' `pods/NAME/binding`: assigns an unbound pod to a node, and sets its PodScheduled condition.
   * Only `spec.nodeName` and that condition change, so no re-admission of the whole pod is needed (the
   * scheduler binds thousands of pods a second). Conflict when the pod is bound already or deleting.
   */
  async bind(pods: ApiKind, namespace: string, name: string, nodeName: string): Promise<KubeObject> {
    if (!nodeName) throw invalid('target.name: Required value: the node to bind the pod to');
    const key = objectKey(pods, namespace, name);
    for (let attempt = 1; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw notFound(pods, name);
      const pod = kv.value as KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: { type: string }[] } };
      if (pod.spec?.nodeName) {
        throw new MarinaError('Conflict', `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      }
      if (pod.metadata.deletionTimestamp) throw new MarinaError('Conflict', `pod ${name} is being deleted; it cannot be bound`);
      const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: this.timestamp() };
      const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), scheduled];
      const bound = { ...pod, spec: { ...pod.spec, nodeName }, status: { ...pod.status, conditions } };
      try {
        const updated = await this.store.update(key, bound, kv.modRevision);
        return withVersion(updated.value, updated.modRevision);
      } catch (err) {
        if (!isMarinaError(err, 'Conflict') || attempt === patchAttempts) throw err;
      }
    }
  }

  /**
   * Deletes at once, or marks the object deleting (sets `deletionTimestamp`) when something must happen
   * first: finalizers to run (foreground and orphan propagation add theirs), or a scheduled pod to be
   * stopped by its node agent within its grace period. Returns the object as it was removed or marked.
   */
  async delete(kind: ApiKind, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    return this.allocating(kind, (allocator) => this.deleteNow(kind, namespace, name, options, allocator));
  }

  private async deleteNow(
    kind: ApiKind,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
    allocator: KindAllocator | undefined,
  ): Promise<KubeObject> {
    const key = objectKey(kind, namespace, name);
    for (let attempt = 1; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw notFound(kind, name);
      const current = withVersion(kv.value, kv.modRevision);
      checkPreconditions(kind, current, options.preconditions);
      const marked = this.markedForDeletion(kind, current, options);
      if (marked === current) return current;
      try {
        if (!marked) {
          const removed = await this.store.delete(key, kv.modRevision);
          allocator?.settle(current.metadata.uid ?? '', undefined);
          return withVersion(removed.value, removed.modRevision);
        }
        const updated = await this.store.update(key, stored(marked), kv.modRevision);
        return withVersion(updated.value, updated.modRevision);
      } catch (err) {
        if (!isMarinaError(err, 'Conflict') || attempt === patchAttempts) throw err;
      }
    }
  }

  /**
   * The changes to objects of `kind` after `resourceVersion`, then live ones. With a filter, an object
   * that starts matching is ADDED and one that stops matching is DELETED, as Kubernetes does.
   */
  async *watch(
    kind: ApiKind,
    namespace: string | undefined,
    resourceVersion: string,
    signal: AbortSignal,
    filter?: ObjectFilter,
    selectors?: Selectors,
  ): AsyncIterable<ObjectEvent> {
    const keep = bothFilters(filter, compileSelectors(kind, selectors));
    const after = Number(resourceVersion);
    if (!Number.isInteger(after) || after < 0) {
      throw invalid(`resourceVersion "${resourceVersion}" is not a resource version: use the one a list returned`);
    }
    for await (const event of this.store.watch(collectionPrefix(kind, namespace), after, signal)) {
      const translated = translate(event, keep);
      if (translated) yield translated;
    }
  }

  /** The namespaces every cluster starts with. */
  async ensureNamespaces(namespaceKind: ApiKind, names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (await this.store.get(objectKey(namespaceKind, undefined, name))) continue;
      try {
        await this.create(namespaceKind, undefined, { metadata: { name } });
      } catch (err) {
        if (!isMarinaError(err, 'Conflict')) throw err;
      }
    }
  }

  private async replace(
    kind: ApiKind,
    namespace: string | undefined,
    name: string,
    body: unknown,
    part: 'main' | 'status',
  ): Promise<Written> {
    return this.allocating(kind, (allocator) => this.replaceNow(kind, namespace, name, body, part, allocator));
  }

  private async replaceNow(
    kind: ApiKind,
    namespace: string | undefined,
    name: string,
    body: unknown,
    part: 'main' | 'status',
    allocator: KindAllocator | undefined,
  ): Promise<Written> {
    const key = objectKey(kind, namespace, name);
    const kv = await this.store.get(key);
    if (!kv) throw notFound(kind, name);
    const current = withVersion(kv.value, kv.modRevision);
    const incoming = envelope(kind, body);
    checkIdentity(kind, current, incoming, name);
    const expected = incoming.metadata.resourceVersion;
    if (expected !== undefined && expected !== current.metadata.resourceVersion) throw modified(kind, name);

    const next = part === 'status' ? { ...current, status: incoming.status } : mergeOwnedFields(kind, current, incoming);
    if (part === 'main' && specOf(next) !== specOf(current)) next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    const admitted: Admitted = kind.admit(next, current);
    // Only a spec write allocates; a status write leaves what the object holds as it is.
    const object = allocator && part === 'main' ? allocator.allocate(admitted.object, current) : admitted.object;
    const uid = current.metadata.uid ?? '';
    try {
      if (isReleased(kind, object)) {
        const removed = await this.store.delete(key, kv.modRevision);
        allocator?.settle(uid, undefined);
        return { object: withVersion(removed.value, removed.modRevision), warnings: admitted.warnings };
      }
      const updated = await this.store.update(key, stored(object), kv.modRevision);
      allocator?.settle(uid, updated.value as KubeObject);
      return { object: withVersion(updated.value, updated.modRevision), warnings: admitted.warnings };
    } catch (err) {
      allocator?.settle(uid, current);
      if (isMarinaError(err, 'Conflict')) throw modified(kind, name);
      throw err;
    }
  }

  /**
   * Runs a write of `kind` with its allocator, if it has one: rebuilt from the stored objects before the
   * first write, and no other write of the kind in between, so that what the allocator holds is exactly
   * what the store holds once each write settles. Kinds without one are not serialized.
   */
  private async allocating<T>(kind: ApiKind, write: (allocator: KindAllocator | undefined) => Promise<T>): Promise<T> {
    const state = this.allocators.get(allocatorKey(kind));
    if (!state) return write(undefined);
    const run = state.writes.then(async () => {
      if (!state.built) {
        const { items } = await this.store.list(collectionPrefix(kind));
        state.allocator.rebuild(items.map((kv) => kv.value as KubeObject));
        state.built = true;
      }
      return write(state.allocator);
    });
    state.writes = run.catch(() => undefined);
    return run;
  }

  /** The object marked as deleting, `current` itself when nothing changes, or undefined when it can go at once. */
  private markedForDeletion(kind: ApiKind, current: KubeObject, options: DeleteOptions): KubeObject | undefined {
    const meta = { ...current.metadata };
    const finalizers = new Set(meta.finalizers ?? []);
    if (options.propagationPolicy === 'Foreground') finalizers.add(foregroundFinalizer);
    if (options.propagationPolicy === 'Orphan') finalizers.add(orphanFinalizer);
    const grace = kind.kind === 'Pod' ? podGracePeriod(current, options) : 0;
    if (finalizers.size === 0 && grace === 0) return undefined;
    if (meta.deletionTimestamp && finalizers.size === (meta.finalizers ?? []).length) {
      // Already deleting: a shorter grace period still takes effect (the agent's final grace-0 delete).
      if (grace >= (meta.deletionGracePeriodSeconds ?? 0)) return current;
    }
    meta.finalizers = finalizers.size > 0 ? [...finalizers] : undefined;
    meta.deletionTimestamp ??= this.timestamp(grace);
    meta.deletionGracePeriodSeconds = grace;
    return { ...current, metadata: meta };
  }

  private namespaceOf(fromBody: string | undefined, fromPath: string | undefined): string {
    if (fromBody && fromPath && fromBody !== fromPath) {
      throw invalid(
        `metadata.namespace: Invalid value: "${fromBody}": does not match the namespace of the request ("${fromPath}")`,
      );
    }
    return fromBody ?? fromPath ?? 'default';
  }

  private async requireNamespace(namespace: string): Promise<void> {
    const kv = await this.store.get(objectKey(namespaces, undefined, namespace));
    if (!kv) throw new MarinaError('NotFound', `namespaces "${namespace}" not found: create it first (marina apply a Namespace)`);
    const meta = (kv.value as KubeObject).metadata;
    if (meta.deletionTimestamp) {
      throw new MarinaError('Forbidden', `namespace ${namespace} is being terminated: nothing new can be created in it`);
    }
  }

  private timestamp(plusSeconds = 0): string {
    return kubeTime(this.now().getTime() + plusSeconds * 1000);
  }
}

/** The body as an object of `kind`: apiVersion and kind are filled in when absent, refused when other. */
function envelope(kind: ApiKind, body: unknown): KubeObject {
  if (!isPlainObject(body)) throw invalid(`the body must be a JSON object (a ${kind.kind})`);
  const apiVersion = apiVersionOf(kind);
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
    throw invalid(`apiVersion: Invalid value: "${String(body.apiVersion)}": this endpoint serves ${apiVersion}`);
  }
  if (body.kind !== undefined && body.kind !== kind.kind) {
    throw invalid(`kind: Invalid value: "${String(body.kind)}": this endpoint serves ${kind.kind}`);
  }
  if (body.metadata !== undefined && !isPlainObject(body.metadata)) throw invalid('metadata: Invalid value: must be an object');
  const copy = structuredClone(body) as Record<string, unknown>;
  return { ...copy, apiVersion, kind: kind.kind, metadata: (copy.metadata ?? {}) as KubeObject['metadata'] };
}

/** An update keeps what the server owns: uid, creation time, generation, deletion marks, status. */
function mergeOwnedFields(kind: ApiKind, current: KubeObject, incoming: KubeObject): KubeObject {
  const meta = current.metadata;
  const next: KubeObject = {
    ...incoming,
    metadata: {
      ...incoming.metadata,
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      creationTimestamp: meta.creationTimestamp,
      generation: meta.generation,
      deletionTimestamp: meta.deletionTimestamp,
      deletionGracePeriodSeconds: meta.deletionGracePeriodSeconds,
    },
  };
  if (meta.deletionTimestamp) {
    // Once deleting, finalizers may only be removed (Kubernetes refuses adding new ones).
    const kept = new Set(meta.finalizers ?? []);
    next.metadata.finalizers = (incoming.metadata.finalizers ?? []).filter((f) => kept.has(f));
  }
  if (kind.hasStatus) next.status = current.status;
  return dropUndefined(next);
}

function checkIdentity(kind: ApiKind, current: KubeObject, incoming: KubeObject, name: string): void {
  const meta = incoming.metadata;
  if (meta.name !== undefined && meta.name !== name) {
    throw invalid(`metadata.name: Invalid value: "${meta.name}": the name in the body must match the URL ("${name}")`);
  }
  if (meta.uid !== undefined && meta.uid !== current.metadata.uid) {
    throw new MarinaError('Conflict', `${describe(kind, name)}: uid ${meta.uid} is not the stored object's (it was deleted and created again)`);
  }
  if (kind.namespaced && meta.namespace !== undefined && meta.namespace !== current.metadata.namespace) {
    throw invalid(`metadata.namespace: Invalid value: "${meta.namespace}": an object cannot move to another namespace`);
  }
}

function checkPreconditions(kind: ApiKind, current: KubeObject, preconditions: DeleteOptions['preconditions']): void {
  const name = current.metadata.name ?? '';
  if (preconditions?.uid !== undefined && preconditions.uid !== current.metadata.uid) {
    throw new MarinaError('Conflict', `${describe(kind, name)}: precondition failed: uid is ${current.metadata.uid}, not ${preconditions.uid}`);
  }
  if (preconditions?.resourceVersion !== undefined && preconditions.resourceVersion !== current.metadata.resourceVersion) {
    throw modified(kind, name);
  }
}

/** A deleting object whose finalizers are all done (and, for a pod, whose grace is over) leaves the store. */
function isReleased(kind: ApiKind, object: KubeObject): boolean {
  const meta = object.metadata;
  if (!meta.deletionTimestamp || (meta.finalizers?.length ?? 0) > 0) return false;
  return kind.kind !== 'Pod' || (meta.deletionGracePeriodSeconds ?? 0) === 0;
}

/** Scheduled pods get their grace period (the request's, else the pod's, else 30 s); others none. */
function podGracePeriod(pod: KubeObject, options: DeleteOptions): number {
  const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  if (!spec.nodeName) return 0;
  return Math.max(0, options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30);
}

function applyPatch(current: KubeObject, patch: unknown, type: PatchType): Record<string, unknown> {
  if (type === 'merge') {
    if (!isPlainObject(patch)) throw invalid('a merge patch must be a JSON object');
    const patched = jsonMergePatch.apply(structuredClone(current), patch) as unknown;
    if (!isPlainObject(patched)) throw invalid('the merge patch did not leave an object');
    return patched;
  }
  if (!Array.isArray(patch)) throw invalid('a JSON patch must be an array of operations');
  const error = fastJsonPatch.validate(patch as Operation[], current);
  if (error) throw invalid(`JSON patch operation ${error.index ?? ''} (${error.name}): ${error.message.split('\n')[0]}`);
  return fastJsonPatch.applyPatch(structuredClone(current), patch as Operation[], false, false).newDocument;
}

function translate(event: WatchEvent, filter: ObjectFilter | undefined): ObjectEvent | undefined {
  const object = withVersion(event.kv.value, event.kv.modRevision);
  if (event.type === 'delete') return !filter || filter(object) ? { type: 'DELETED', object } : undefined;
  const matches = !filter || filter(object);
  if (!event.previous) return matches ? { type: 'ADDED', object } : undefined;
  const matched = !filter || filter(withVersion(event.previous.value, event.previous.modRevision));
  if (matches) return { type: matched ? 'MODIFIED' : 'ADDED', object };
  return matched ? { type: 'DELETED', object } : undefined;
}

function allocatorKey(kind: Pick<ApiKind, 'group' | 'plural'>): string {
  return `${kind.group}/${kind.plural}`;
}

function withVersion(value: unknown, revision: number): KubeObject {
  const object = value as KubeObject;
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
}

/** What goes into the Store: the version is the store's revision, never part of the value. */
function stored(object: KubeObject): KubeObject {
  const { resourceVersion: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** Everything but metadata and status, to tell a spec change (which bumps `generation`) from others. */
function specOf(object: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = object;
  return JSON.stringify(rest);
}

function dropUndefined(object: KubeObject): KubeObject {
  return JSON.parse(JSON.stringify(object)) as KubeObject;
}

function notFound(kind: ApiKind, name: string): MarinaError {
  return new MarinaError('NotFound', `${describe(kind, name)} not found`);
}

function modified(kind: ApiKind, name: string): MarinaError {
  return new MarinaError(
    'Conflict',
    `Operation cannot be fulfilled on ${describe(kind, name)}: the object has been modified; please apply your changes to the latest version and try again`,
  );
}

/** Kubernetes' way of naming an object in messages: `deployments.apps "web"`. */
function describe(kind: ApiKind, name: string): string {
  return `${kind.plural}${kind.group ? `.${kind.group}` : ''} "${name}"`;
}

function randomSuffix(): string {
  // Kubernetes' alphabet for generated names: no vowels (no words), no look-alikes.
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
