/**
 * A controller's own recent writes laid over an informer's cache, so that it reads them back before the
 * watch delivers them. Without this, a reconcile that runs again before the cache has seen the pods it
 * just created would create them a second time — the problem Kubernetes solves with "expectations";
 * here the controller simply remembers what the API returned for its writes (created or deleted objects)
 * until the cache has caught up (a resourceVersion at least as new) or `forgetAfterMs` has passed.
 */
import type { KubeObject } from '../../apiserver/api-kind.ts';
import { keyOf } from './informer.ts';

interface Written {
  object: KubeObject;
  /** Deleted by us: hidden from the view until the cache drops it. */
  gone: boolean;
  at: number;
}

export class OwnWrites {
  /** By group (the owner's key), then by object key. */
  private readonly groups = new Map<string, Map<string, Written>>();
  private readonly forgetAfterMs: number;
  private readonly now: () => number;

  constructor(options: { forgetAfterMs?: number; now?: () => number } = {}) {
    this.forgetAfterMs = options.forgetAfterMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  created(group: string, object: KubeObject): void {
    this.entries(group).set(keyOf(object), { object, gone: false, at: this.now() });
  }

  /** `object`: what the delete returned — still there (marked deleting) for a graceful pod. */
  deleted(group: string, object: KubeObject, stillThere: boolean): void {
    this.entries(group).set(keyOf(object), { object, gone: !stillThere, at: this.now() });
  }

  /** The cached objects of the group, with our newer writes in their place. */
  view(group: string, cached: readonly KubeObject[]): KubeObject[] {
    const written = this.groups.get(group);
    if (!written) return [...cached];
    const now = this.now();
    const byKey = new Map(cached.map((o) => [keyOf(o), o]));
    for (const [key, entry] of written) {
      const current = byKey.get(key);
      const caughtUp = entry.gone
        ? current === undefined
        : current !== undefined && version(current) >= version(entry.object);
      if (caughtUp || now - entry.at > this.forgetAfterMs) {
        written.delete(key);
        continue;
      }
      if (entry.gone) byKey.delete(key);
      else byKey.set(key, entry.object);
    }
    if (written.size === 0) this.groups.delete(group);
    return [...byKey.values()];
  }

  forget(group: string): void {
    this.groups.delete(group);
  }

  private entries(group: string): Map<string, Written> {
    const entries = this.groups.get(group) ?? new Map<string, Written>();
    this.groups.set(group, entries);
    return entries;
  }
}

function version(object: KubeObject): number {
  return Number(object.metadata.resourceVersion ?? 0);
}
