/**
 * The engine's event stream (`marina events`, Docker's /events): a bounded in-memory history so a
 * client can ask for what happened since a moment, plus live delivery. Emitting never waits on a
 * subscriber: each has a bounded queue, and a subscriber that falls that far behind loses its oldest
 * events rather than slowing the engine down.
 */
import type { EngineEvent } from './container-types.ts';
import type { EventSource } from './services.ts';

const historySize = 1000;
const subscriberQueueSize = 1000;

interface Subscriber {
  filter: (e: EngineEvent) => boolean;
  queue: EngineEvent[];
  wake: (() => void) | undefined;
}

export class EventBus implements EventSource {
  private readonly history: EngineEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private lastTimeNano = 0n;

  /** Records and delivers an event. Times are made strictly increasing so `since` is unambiguous. */
  emit(event: EngineEvent): void {
    const timeNano = event.timeNano > this.lastTimeNano ? event.timeNano : this.lastTimeNano + 1n;
    this.lastTimeNano = timeNano;
    const stamped = { ...event, timeNano };
    this.history.push(stamped);
    if (this.history.length > historySize) this.history.shift();
    for (const s of this.subscribers) {
      if (!s.filter(stamped)) continue;
      s.queue.push(stamped);
      if (s.queue.length > subscriberQueueSize) s.queue.shift();
      s.wake?.();
    }
  }

  async *subscribe(
    options: { since?: bigint; filter?: (e: EngineEvent) => boolean },
    signal: AbortSignal,
  ): AsyncIterable<EngineEvent> {
    const filter = options.filter ?? (() => true);
    const since = options.since;
    const backlog = since === undefined ? [] : this.history.filter((e) => e.timeNano >= since && filter(e));
    const subscriber: Subscriber = { filter, queue: backlog, wake: undefined };
    this.subscribers.add(subscriber);
    const onAbort = () => subscriber.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const next = subscriber.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          subscriber.wake = resolve;
        });
        subscriber.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.subscribers.delete(subscriber);
    }
  }
}

/** An event stamped with the current wall-clock time. */
export function engineEvent(
  type: EngineEvent['type'],
  action: string,
  id: string,
  attributes: Record<string, string> = {},
): EngineEvent {
  return { type, action, actor: { id, attributes }, timeNano: BigInt(Date.now()) * 1_000_000n };
}
