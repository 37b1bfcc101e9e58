/**
 * The engine's event stream (`marina events`, Docker's `GET /events`): every service emits here, the
 * last events are kept for `--since`, and each subscriber reads at its own pace from its own bounded
 * queue, so a slow client never holds up the engine. A subscriber that falls too far behind loses its
 * oldest events, and a warning says so.
 */
import type { Logger } from 'pino';
import type { EngineEvent, EngineEventType } from './container-types.ts';
import type { EventSource } from './services.ts';

export interface EventBusOptions {
  /** Where a dropped-events warning goes (default: a Node process warning on stderr). */
  logger?: Pick<Logger, 'warn'>;
  /** Events kept for `since` (default 1000). */
  historySize?: number;
  /** Events queued per subscriber before its oldest are dropped (default 1000). */
  queueSize?: number;
}

type SubscribeOptions = Parameters<EventSource['subscribe']>[0];

export class EventBus implements EventSource {
  private readonly history: EngineEvent[] = [];
  private readonly subscribers = new Set<Subscription>();
  private readonly historySize: number;
  private readonly queueSize: number;
  private readonly logger: Pick<Logger, 'warn'>;
  /** Wall clock at start plus the monotonic clock since: nanosecond resolution, never steps back. */
  private readonly epochNano = BigInt(Date.now()) * 1_000_000n;
  private readonly hrStart = process.hrtime.bigint();
  private lastTimeNano = 0n;

  constructor(options: EventBusOptions = {}) {
    this.logger = options.logger ?? processWarningLogger;
    this.historySize = options.historySize ?? 1000;
    this.queueSize = options.queueSize ?? 1000;
  }

  /**
   * Records and delivers an event. The bus stamps the time itself (also over a `timeNano` a caller
   * set), so times are strictly increasing and `since` is unambiguous.
   */
  emit(type: EngineEventType, action: string, actorId: string, attributes?: Record<string, string>): EngineEvent;
  emit(event: EngineEvent): EngineEvent;
  emit(
    typeOrEvent: EngineEventType | EngineEvent,
    action = '',
    actorId = '',
    attributes: Record<string, string> = {},
  ): EngineEvent {
    const event: EngineEvent =
      typeof typeOrEvent === 'string'
        ? { type: typeOrEvent, action, actor: { id: actorId, attributes: { ...attributes } }, timeNano: this.nextTime() }
        : { ...typeOrEvent, actor: { id: typeOrEvent.actor.id, attributes: { ...typeOrEvent.actor.attributes } }, timeNano: this.nextTime() };
    this.history.push(event);
    if (this.history.length > this.historySize) this.history.shift();
    for (const subscriber of this.subscribers) subscriber.offer(event);
    return event;
  }

  /**
   * Subscribes at once (not at the first `next()`), so no event emitted after this call is missed;
   * without `since` only live events are delivered.
   */
  subscribe(options: SubscribeOptions, signal: AbortSignal): AsyncIterable<EngineEvent> {
    const onAbort = () => subscription.end();
    const subscription = new Subscription(options.filter, this.queueSize, this.logger, () => {
      this.subscribers.delete(subscription);
      signal.removeEventListener('abort', onAbort);
    });
    if (signal.aborted) {
      subscription.end();
      return subscription;
    }
    const { since } = options;
    if (since !== undefined) for (const event of this.history) if (event.timeNano >= since) subscription.offer(event);
    this.subscribers.add(subscription);
    signal.addEventListener('abort', onAbort, { once: true });
    return subscription;
  }

  private nextTime(): bigint {
    const now = this.epochNano + (process.hrtime.bigint() - this.hrStart);
    this.lastTimeNano = now > this.lastTimeNano ? now : this.lastTimeNano + 1n;
    return this.lastTimeNano;
  }
}

class Subscription implements AsyncIterable<EngineEvent>, AsyncIterator<EngineEvent> {
  private readonly queue: EngineEvent[] = [];
  private waiting: ((result: IteratorResult<EngineEvent>) => void) | undefined;
  private ended = false;
  private dropped = 0;
  private readonly filter: ((e: EngineEvent) => boolean) | undefined;
  private readonly capacity: number;
  private readonly logger: Pick<Logger, 'warn'>;
  private readonly onEnd: () => void;

  constructor(
    filter: ((e: EngineEvent) => boolean) | undefined,
    capacity: number,
    logger: Pick<Logger, 'warn'>,
    onEnd: () => void,
  ) {
    this.filter = filter;
    this.capacity = capacity;
    this.logger = logger;
    this.onEnd = onEnd;
  }

  offer(event: EngineEvent): void {
    if (this.ended || (this.filter && !this.filter(event))) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length > this.capacity) {
      this.queue.shift();
      // One warning per stretch of falling behind, not one per event.
      if (this.dropped++ === 0) {
        this.logger.warn({ capacity: this.capacity }, 'event subscriber is too slow; dropping its oldest events');
      }
    }
  }

  /** Ends the subscription: a waiting `next()` resolves as done, queued events are discarded. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.onEnd();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  next(): Promise<IteratorResult<EngineEvent>> {
    const event = this.queue.shift();
    if (event) {
      if (this.queue.length === 0) this.dropped = 0;
      return Promise.resolve({ value: event, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<EngineEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<EngineEvent> {
    return this;
  }
}

const processWarningLogger: Pick<Logger, 'warn'> = {
  warn: (_details: unknown, message?: string) => process.emitWarning(message ?? 'event bus warning', 'MarinaEventBus'),
};

/** An event for `emit(event)`; its time is set by the bus. */
export function engineEvent(
  type: EngineEvent['type'],
  action: string,
  id: string,
  attributes: Record<string, string> = {},
): EngineEvent {
  return { type, action, actor: { id, attributes }, timeNano: BigInt(Date.now()) * 1_000_000n };
}
