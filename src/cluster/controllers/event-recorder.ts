/**
 * Records core/v1 Events about objects, as Kubernetes' client-go recorder does: one Event per occurrence,
 * except that the same (object, type, reason, message) again within ten minutes bumps the existing
 * Event's `count` and `lastTimestamp` instead of adding another (a crash-looping pod makes one Event that
 * counts, not thousands). Recording is best-effort: a failure is logged and dropped, never thrown to the
 * controller, whose real work must not fail because its diary could not be written.
 *
 * Events expire like Kubernetes' (its API server gives them a 1 h TTL in etcd): `runCleanup` deletes the
 * ones whose last occurrence is older than that.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isMarinaError } from '../../errors.ts';
import type { ApiKind, KubeObject } from '../apiserver/api-kind.ts';
import type { ResourceClient } from '../apiserver/resource-client.ts';
import type { Event } from '../resources/core-schemas.ts';
import { kindByName } from '../resources/registry.ts';
import { kubeTime } from '../resources/kube-time.ts';

export type EventType = 'Normal' | 'Warning';

/** What controllers record through: the recorder, or a stand-in in tests. */
export interface EventSink {
  record(object: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}

export interface EventRecorderOptions {
  /** `source.component`: who reports (`job-controller`, `default-scheduler`). */
  component: string;
  logger: Pick<Logger, 'warn'>;
  now?: () => Date;
  /** How long a repeat is folded into the earlier Event (Kubernetes: 10 minutes). */
  aggregationWindowMs?: number;
  /** How long an Event lives after its last occurrence (Kubernetes: 1 hour). */
  ttlMs?: number;
}

const defaultAggregationWindowMs = 10 * 60_000;
const defaultTtlMs = 60 * 60_000;
/** Cap on remembered Events for aggregation (client-go's LRU holds 4096). */
const maxRemembered = 4096;

/** Where an Event about the object lives: its namespace; cluster-scoped objects' go to `default`. */
export function eventNamespace(object: KubeObject): string {
  return object.metadata.namespace ?? 'default';
}

/** Kubernetes' Event name: the object's name and the time in nanoseconds, in hex. */
export function eventName(objectName: string, at: Date, sequence: number): string {
  const nanos = BigInt(at.getTime()) * 1_000_000n + BigInt(sequence % 1_000_000);
  return `${objectName}.${nanos.toString(16)}`;
}

/** The Events whose last occurrence is more than `ttlMs` before `now`. */
export function expiredEvents(events: readonly Event[], now: Date, ttlMs: number): Event[] {
  return events.filter((event) => {
    const last =
      event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
    return last !== undefined && Date.parse(last) + ttlMs < now.getTime();
  });
}

interface Remembered {
  namespace: string;
  name: string;
  /** When the remembered Event last occurred (ms). */
  lastSeen: number;
}

export class EventRecorder implements EventSink {
  private readonly client: ResourceClient;
  private readonly events: ApiKind = kindByName('events');
  private readonly component: string;
  private readonly logger: Pick<Logger, 'warn'>;
  private readonly now: () => Date;
  private readonly windowMs: number;
  private readonly ttlMs: number;
  private readonly remembered = new Map<string, Remembered>();
  /** Per aggregation key, the last write in flight: repeats of one Event are written one after another. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private sequence = 0;

  constructor(client: ResourceClient, options: EventRecorderOptions) {
    this.client = client;
    this.component = options.component;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.windowMs = options.aggregationWindowMs ?? defaultAggregationWindowMs;
    this.ttlMs = options.ttlMs ?? defaultTtlMs;
  }

  record(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const key = [
      object.metadata.uid ?? `${object.kind}/${eventNamespace(object)}/${object.metadata.name}`,
      type,
      reason,
      message,
    ].join('\0');
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const write = previous.then(() => this.write(key, object, type, reason, message));
    this.inFlight.set(key, write);
    return write.finally(() => {
      if (this.inFlight.get(key) === write) this.inFlight.delete(key);
    });
  }

  /** Deletes expired Events every `intervalMs` until `signal` aborts. */
  async runCleanup(signal: AbortSignal, intervalMs = 60_000): Promise<void> {
    while (!signal.aborted) {
      await this.cleanup();
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One cleanup pass; returns how many Events it deleted. */
  async cleanup(): Promise<number> {
    let deleted = 0;
    try {
      const { items } = await this.client.list(this.events);
      for (const event of expiredEvents(items as Event[], this.now(), this.ttlMs)) {
        try {
          await this.client.delete(this.events, event.metadata.namespace, event.metadata.name ?? '', {
            preconditions: { resourceVersion: event.metadata.resourceVersion },
          });
          deleted++;
        } catch (err) {
          // Gone already, or just bumped by a repeat (then it is no longer expired): both fine.
          if (!isMarinaError(err, 'NotFound') && !isMarinaError(err, 'Conflict')) throw err;
        }
      }
    } catch (err) {
      this.logger.warn({ err }, 'event cleanup failed; retrying on the next pass');
    }
    return deleted;
  }

  private async write(
    key: string,
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.now();
    try {
      const known = this.remembered.get(key);
      if (known && now.getTime() - known.lastSeen < this.windowMs && (await this.bump(known, now))) {
        known.lastSeen = now.getTime();
        return;
      }
      const namespace = eventNamespace(object);
      const { object: created } = await this.client.create(
        this.events,
        namespace,
        this.newEvent(object, type, reason, message, now),
      );
      this.remember(key, { namespace, name: created.metadata.name ?? '', lastSeen: now.getTime() });
    } catch (err) {
      this.logger.warn({ err, reason, object: object.metadata.name }, 'could not record an event; dropped');
    }
  }

  /** Counts one more occurrence on the existing Event; false when it is gone (expired or deleted). */
  private async bump(known: Remembered, now: Date): Promise<boolean> {
    const lastTimestamp = kubeTime(now);
    try {
      for (let attempt = 0; ; attempt++) {
        const current = (await this.client.get(this.events, known.namespace, known.name)) as Event;
        try {
          await this.client.update(this.events, known.namespace, known.name, {
            ...current,
            count: (current.count ?? 1) + 1,
            lastTimestamp,
          });
          return true;
        } catch (err) {
          if (!isMarinaError(err, 'Conflict') || attempt >= 3) throw err;
        }
      }
    } catch (err) {
      if (isMarinaError(err, 'NotFound')) return false;
      throw err;
    }
  }

  private newEvent(object: KubeObject, type: EventType, reason: string, message: string, now: Date): Event {
    const at = kubeTime(now);
    const { apiVersion, kind, metadata } = object;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: eventName(metadata.name ?? kind.toLowerCase(), now, this.sequence++),
        namespace: eventNamespace(object),
      },
      involvedObject: {
        apiVersion,
        kind,
        name: metadata.name,
        namespace: metadata.namespace,
        uid: metadata.uid,
        resourceVersion: metadata.resourceVersion,
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: this.component },
      reportingComponent: this.component,
    };
  }

  private remember(key: string, entry: Remembered): void {
    this.remembered.delete(key);
    this.remembered.set(key, entry);
    // A Map iterates in insertion order, so the first key is the least recently recorded one.
    if (this.remembered.size > maxRemembered) this.remembered.delete(this.remembered.keys().next().value!);
  }
}
