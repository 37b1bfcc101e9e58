/**
 * Docker's `GET /events`: its message shape (with the legacy `status`/`id`/`from` of containers and
 * images), its filters, and `until`, which ends the stream once that time has passed.
 */
import type { EngineEvent } from '../../engine/container-types.ts';
import { MarinaError } from '../../errors.ts';
import { type EventFilters, eventMatches } from '../events-codec.ts';

/** One JSON line as moby's events.Message; `timeNano` is written as a bare integer (a bigint in the engine). */
export function encodeDockerEvent(event: EngineEvent): string {
  const legacy =
    event.type === 'container'
      ? { status: event.action, id: event.actor.id, from: event.actor.attributes.image ?? '' }
      : event.type === 'image'
        ? { status: event.action, id: event.actor.id }
        : {};
  const body = JSON.stringify({
    ...legacy,
    Type: event.type,
    Action: event.action,
    Actor: { ID: event.actor.id, Attributes: event.actor.attributes },
    scope: 'local',
    time: Number(event.timeNano / 1_000_000_000n),
  });
  return `${body.slice(0, -1)},"timeNano":${event.timeNano.toString()}}\n`;
}

/** Keys the native events filter understands, in Docker's meaning. */
const nativeKeys = ['type', 'event', 'container', 'image', 'volume', 'network', 'label'] as const;
const dockerKeys = [...nativeKeys, 'scope'];

/** Checks Docker's event filters once, then returns the predicate the subscription applies. */
export function dockerEventFilter(filters: Map<string, string[]>): (event: EngineEvent) => boolean {
  for (const key of filters.keys()) {
    if (!dockerKeys.includes(key)) throw new MarinaError('Invalid', `invalid filter '${key}': use ${dockerKeys.join(', ')}`);
  }
  const native: EventFilters = {};
  for (const key of nativeKeys) {
    const values = filters.get(key);
    if (values && values.length > 0) native[key] = values;
  }
  const scopes = filters.get('scope') ?? [];
  return (event) => eventMatches(native, event) && (scopes.length === 0 || scopes.includes('local'));
}

/**
 * Yields `events` until the first one after `untilNano`, or until the clock passes it while waiting, then
 * ends the subscription. Without `untilNano` it yields them all (the client ends the stream).
 */
export async function* eventsUntil(
  events: AsyncIterable<EngineEvent>,
  untilNano: bigint | undefined,
  nowNano: () => bigint = () => BigInt(Date.now()) * 1_000_000n,
): AsyncGenerator<EngineEvent> {
  const iterator = events[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const deadline =
    untilNano === undefined
      ? new Promise<never>(() => {})
      : new Promise<'deadline'>((resolve) => {
          timer = setTimeout(() => resolve('deadline'), Math.max(0, Number((untilNano - nowNano()) / 1_000_000n)));
        });
  try {
    for (;;) {
      // Queued events (the history) are already resolved and win the race over a passed deadline.
      const next = await Promise.race([iterator.next(), deadline]);
      if (next === 'deadline' || next.done) return;
      if (untilNano !== undefined && next.value.timeNano > untilNano) return;
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
}
