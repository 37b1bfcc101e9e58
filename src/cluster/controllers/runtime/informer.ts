/**
 * A kind's objects kept in memory from a list and then a watch, the way client-go's informers keep them:
 * controllers read this cache instead of the API server, and react to its add/update/delete callbacks
 * (which usually just queue a key). A watch that breaks (history compacted, too slow, server gone) is
 * followed by a fresh list, and the cache is reconciled with it: what vanished meanwhile is reported
 * deleted, what changed updated — so a controller is level-triggered, never dependent on seeing every event.
 */
import { isMarinaError } from '../../../errors.ts';
import type { ApiKind, KubeObject } from '../../apiserver/api-kind.ts';
import type { ResourceClient } from '../../apiserver/resource-client.ts';
import type { ObjectEvent, ObjectFilter, Selectors } from '../../apiserver/resource-service.ts';
import { abortableSleep } from '../../../abortable-sleep.ts';

export interface InformerHandlers {
  added?(object: KubeObject): void;
  updated?(previous: KubeObject, object: KubeObject): void;
  deleted?(object: KubeObject): void;
}

export interface InformerOptions {
  namespace?: string;
  filter?: ObjectFilter;
  /**
   * Label and field selectors in their string form, applied by the API server: unlike `filter`, they
   * travel over HTTP, so a remote informer (a joined node's agent) is sent only the objects it asked for.
   */
  selectors?: Selectors;
  /** Pause before listing again after a broken watch or a failed list (default 1 s). */
  retryDelayMs?: number;
  onError?: (err: unknown) => void;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key controllers queue. */
export function keyOf(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : (name ?? '');
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

type IndexFunction = (object: KubeObject) => readonly string[];

export class Informer {
  readonly kind: ApiKind;
  private readonly client: ResourceClient;
  private readonly options: InformerOptions;
  private readonly cache = new Map<string, KubeObject>();
  private readonly handlers: InformerHandlers[] = [];
  private readonly indexers = new Map<string, IndexFunction>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private resolveSynced!: () => void;
  private readonly syncedPromise = new Promise<void>((resolve) => {
    this.resolveSynced = resolve;
  });

  constructor(client: ResourceClient, kind: ApiKind, options: InformerOptions = {}) {
    this.client = client;
    this.kind = kind;
    this.options = options;
  }

  /** Adds handlers; like client-go's, they first get `added` for every object already in the cache. */
  on(handlers: InformerHandlers): this {
    this.handlers.push(handlers);
    for (const object of this.cache.values()) handlers.added?.(object);
    return this;
  }

  /** Keeps `byIndex(name, value)` answering which objects `index` maps to `value` (pods by node, by owner). */
  addIndex(name: string, index: IndexFunction): this {
    this.indexers.set(name, index);
    const entries = new Map<string, Set<string>>();
    this.indexes.set(name, entries);
    for (const [key, object] of this.cache) for (const value of index(object)) addTo(entries, value, key);
    return this;
  }

  /** Resolves once the first list is in the cache. */
  synced(): Promise<void> {
    return this.syncedPromise;
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  byIndex(name: string, value: string): KubeObject[] {
    const keys = this.indexes.get(name)?.get(value);
    return keys ? [...keys].map((key) => this.cache.get(key)!) : [];
  }

  /** Lists and watches until `signal` aborts, listing again whenever the watch breaks. */
  async run(signal: AbortSignal): Promise<void> {
    const retryDelayMs = this.options.retryDelayMs ?? 1000;
    while (!signal.aborted) {
      try {
        const { namespace, filter, selectors } = this.options;
        const list = await this.client.list(this.kind, namespace, filter, selectors);
        this.replace(list.items);
        this.resolveSynced();
        const events = this.client.watch(this.kind, namespace, list.resourceVersion, signal, filter, selectors);
        for await (const event of events) this.apply(event);
      } catch (err) {
        if (signal.aborted) break;
        if (!isMarinaError(err, 'Expired')) this.options.onError?.(err);
      }
      if (!signal.aborted) await abortableSleep(retryDelayMs, signal);
    }
  }

  private apply(event: ObjectEvent): void {
    if (event.type === 'DELETED') this.remove(keyOf(event.object));
    else this.put(event.object);
  }

  /** Takes a fresh list as the truth: reports what it lacks as deleted, the rest as added or updated. */
  private replace(objects: readonly KubeObject[]): void {
    const fresh = new Set(objects.map(keyOf));
    for (const key of [...this.cache.keys()]) if (!fresh.has(key)) this.remove(key);
    for (const object of objects) this.put(object);
  }

  private put(object: KubeObject): void {
    const key = keyOf(object);
    const previous = this.cache.get(key);
    if (previous?.metadata.resourceVersion === object.metadata.resourceVersion) return;
    if (previous) this.unindex(key, previous);
    this.cache.set(key, object);
    this.index(key, object);
    for (const handler of this.handlers) {
      if (previous) handler.updated?.(previous, object);
      else handler.added?.(object);
    }
  }

  private remove(key: string): void {
    const previous = this.cache.get(key);
    if (!previous) return;
    this.cache.delete(key);
    this.unindex(key, previous);
    for (const handler of this.handlers) handler.deleted?.(previous);
  }

  private index(key: string, object: KubeObject): void {
    for (const [name, index] of this.indexers) for (const value of index(object)) addTo(this.indexes.get(name)!, value, key);
  }

  private unindex(key: string, object: KubeObject): void {
    for (const [name, index] of this.indexers) {
      const entries = this.indexes.get(name)!;
      for (const value of index(object)) {
        const keys = entries.get(value);
        keys?.delete(key);
        if (keys?.size === 0) entries.delete(value);
      }
    }
  }
}

function addTo(entries: Map<string, Set<string>>, value: string, key: string): void {
  const keys = entries.get(value) ?? new Set<string>();
  keys.add(key);
  entries.set(value, keys);
}
