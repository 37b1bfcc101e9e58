/**
 * Kubernetes' ControllerExpectations, by pod rather than by count: after creating or deleting pods, a
 * controller must not act on its key again until its informer has seen those changes, or a reconcile
 * running on a stale cache would create the same pods twice (or delete twice as many). A creation is seen
 * when the pod appears in the cache; a deletion when the pod leaves it or is marked deleting. The pod
 * informer's handlers report both as they happen (a pod created and deleted before the next reconcile
 * still counts as seen), and a reconcile also checks the cache, so no event can be missed for good;
 * expectations older than `ttlMs` lapse anyway, as Kubernetes' do, so a lost event delays, never wedges.
 */

type Change = 'create' | 'delete';

interface Pending {
  changes: Map<string, Change>;
  expiresAt: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The controller `key` just created (or deleted) the pod `podKey`. */
  expect(key: string, podKey: string, change: Change): void {
    const entry = this.pending.get(key) ?? { changes: new Map(), expiresAt: 0 };
    entry.changes.set(podKey, change);
    entry.expiresAt = this.now() + this.ttlMs;
    this.pending.set(key, entry);
  }

  /** The informer saw `change` happen to `podKey` on behalf of controller `key`. */
  observe(key: string, podKey: string, change: Change): void {
    const entry = this.pending.get(key);
    if (entry?.changes.get(podKey) !== change) return;
    entry.changes.delete(podKey);
    if (entry.changes.size === 0) this.pending.delete(key);
  }

  /**
   * Whether `key` may act: nothing pending once what the cache already shows is struck off (`seen` says
   * whether the cache reflects a change), or the expectations lapsed.
   */
  satisfied(key: string, seen: (podKey: string, change: Change) => boolean): boolean {
    const entry = this.pending.get(key);
    if (!entry) return true;
    for (const [podKey, change] of entry.changes) if (seen(podKey, change)) entry.changes.delete(podKey);
    if (entry.changes.size === 0 || entry.expiresAt <= this.now()) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  /** The controller's object is gone: nothing to wait for. */
  forget(key: string): void {
    this.pending.delete(key);
  }
}
