/**
 * Which pod the scheduler tries next. Pure: the caller passes the time in. Three places, as in
 * Kubernetes' scheduling queue:
 * - active: pods ready to try, highest spec.priority first, then the longest waiting;
 * - backoff: pods that failed recently wait 1 s, doubling per failed attempt up to 10 s, so one pod that
 *   fits nowhere cannot take the scheduler's whole attention;
 * - unschedulable: pods no node fits wait for the cluster to change (a node added or changed, a pod
 *   deleted: `clusterChanged`), and are retried anyway after five minutes in case an event was missed.
 */
import { podKey } from './pod-info.ts';
import type { PodView } from './types.ts';

export interface QueueTimings {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxUnschedulableMs: number;
}

export const defaultQueueTimings: QueueTimings = {
  initialBackoffMs: 1000,
  maxBackoffMs: 10_000,
  maxUnschedulableMs: 5 * 60_000,
};

interface QueuedPod {
  pod: PodView;
  readonly key: string;
  /** When the pod first entered the queue: it orders pods of equal priority. */
  readonly queuedAt: number;
  /** Breaks ties between pods queued in the same millisecond: first come, first served. */
  readonly sequence: number;
  attempts: number;
  lastFailureAt: number;
  /** clusterChanged() calls seen when the current attempt started. */
  eventsAtPop: number;
}

function comesFirst(a: QueuedPod, b: QueuedPod): boolean {
  const pa = a.pod.spec.priority ?? 0;
  const pb = b.pod.spec.priority ?? 0;
  if (pa !== pb) return pa > pb;
  if (a.queuedAt !== b.queuedAt) return a.queuedAt < b.queuedAt;
  return a.sequence < b.sequence;
}

/** A binary heap of the active pods; entries replaced or removed are skipped when they surface. */
class ActiveHeap {
  private readonly items: QueuedPod[] = [];

  push(item: QueuedPod): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!comesFirst(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): QueuedPod | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < items.length && comesFirst(items[left]!, items[first]!)) first = left;
      if (right < items.length && comesFirst(items[right]!, items[first]!)) first = right;
      if (first === i) return top;
      [items[i], items[first]] = [items[first]!, items[i]!];
      i = first;
    }
  }
}

export class SchedulingQueue {
  private readonly timings: QueueTimings;
  private readonly heap = new ActiveHeap();
  private readonly active = new Map<string, QueuedPod>();
  private readonly backoff = new Map<string, QueuedPod>();
  private readonly unschedulable = new Map<string, QueuedPod>();
  private readonly inFlight = new Map<string, QueuedPod>();
  private sequence = 0;
  private clusterEvents = 0;

  constructor(timings: Partial<QueueTimings> = {}) {
    this.timings = { ...defaultQueueTimings, ...timings };
  }

  /** A new pending pod, or a new version of a queued one (a changed pod may fit now: it is retried). */
  add(pod: PodView, now: number): void {
    const key = podKey(pod);
    const known =
      this.active.get(key) ?? this.backoff.get(key) ?? this.unschedulable.get(key) ?? this.inFlight.get(key);
    if (!known) {
      this.activate({
        pod,
        key,
        queuedAt: now,
        sequence: this.sequence++,
        attempts: 0,
        lastFailureAt: 0,
        eventsAtPop: 0,
      });
      return;
    }
    known.pod = pod;
    if (this.active.has(key))
      this.activate(known); // its priority may have changed: reorder
    else if (this.unschedulable.delete(key)) this.retry(known, now);
  }

  /** The pod is gone (deleted, or bound by someone else). */
  delete(key: string): void {
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** The next pod to schedule, if any is ready; it stays in flight until done() or failed(). */
  pop(now: number): PodView | undefined {
    this.flush(now);
    for (let item = this.heap.pop(); item; item = this.heap.pop()) {
      if (this.active.get(item.key) !== item) continue;
      this.active.delete(item.key);
      item.eventsAtPop = this.clusterEvents;
      this.inFlight.set(item.key, item);
      return item.pod;
    }
    return undefined;
  }

  /** The pod was scheduled and bound: the queue forgets it and its failures. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * No node fit the pod. It waits for a cluster change — unless one already happened while it was being
   * scheduled, which the attempt may not have seen: then it only backs off.
   */
  failed(key: string, now: number): void {
    const item = this.inFlight.get(key);
    if (!item) return;
    this.inFlight.delete(key);
    item.attempts++;
    item.lastFailureAt = now;
    if (item.eventsAtPop !== this.clusterEvents) this.backoff.set(key, item);
    else this.unschedulable.set(key, item);
  }

  /** A node was added or changed, or a pod deleted: every unschedulable pod is retried (after its backoff). */
  clusterChanged(now: number): void {
    this.clusterEvents++;
    for (const item of this.unschedulable.values()) this.retry(item, now);
    this.unschedulable.clear();
  }

  /** When the earliest backing-off pod becomes ready: the caller's next wake-up. */
  nextBackoffExpiry(): number | undefined {
    let earliest: number | undefined;
    for (const item of this.backoff.values()) {
      const at = this.backoffExpiry(item);
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /** Counts per place, for metrics and tests. */
  get sizes(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return {
      active: this.active.size,
      backoff: this.backoff.size,
      unschedulable: this.unschedulable.size,
      inFlight: this.inFlight.size,
    };
  }

  backoffDuration(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.timings.initialBackoffMs * 2 ** (attempts - 1), this.timings.maxBackoffMs);
  }

  private backoffExpiry(item: QueuedPod): number {
    return item.lastFailureAt + this.backoffDuration(item.attempts);
  }

  private activate(item: QueuedPod): void {
    this.active.set(item.key, item);
    this.heap.push(item);
  }

  private retry(item: QueuedPod, now: number): void {
    if (this.backoffExpiry(item) > now) this.backoff.set(item.key, item);
    else this.activate(item);
  }

  private flush(now: number): void {
    for (const [key, item] of this.backoff) {
      if (this.backoffExpiry(item) <= now) {
        this.backoff.delete(key);
        this.activate(item);
      }
    }
    for (const [key, item] of this.unschedulable) {
      if (now - item.lastFailureAt >= this.timings.maxUnschedulableMs) {
        this.unschedulable.delete(key);
        this.activate(item);
      }
    }
  }
}
