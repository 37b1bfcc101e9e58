/**
 * Events on the wire: one JSON object per line. `timeNano` is a bigint in the engine and is written as a
 * bare JSON integer (JSON.stringify cannot), `time` as unix seconds. Filters use Docker's shape:
 * `{"type":["container"],"event":["start","die"],"container":["<id or name>"],"label":["k=v"]}`.
 */
import type { EngineEvent } from '../engine/container-types.ts';
import { invalid } from '../errors.ts';

export function encodeEvent(event: EngineEvent): string {
  const body = JSON.stringify({
    type: event.type,
    action: event.action,
    actor: event.actor,
    time: Number(event.timeNano / 1_000_000_000n),
  });
  return `${body.slice(0, -1)},"timeNano":${event.timeNano.toString()}}\n`;
}

const filterKeys = ['type', 'event', 'container', 'image', 'volume', 'network', 'label'] as const;
type FilterKey = (typeof filterKeys)[number];
export type EventFilters = Partial<Record<FilterKey, string[]>>;

export function parseEventFilters(text: string | null): EventFilters {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`filters must be JSON like {"type":["container"]}, got ${text}`, { field: 'filters' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('filters must be a JSON object of lists', { field: 'filters' });
  }
  const filters: EventFilters = {};
  for (const [key, values] of Object.entries(parsed)) {
    if (!(filterKeys as readonly string[]).includes(key)) {
      throw invalid(`unknown event filter "${key}": use ${filterKeys.join(', ')}`, {
        field: `filters.${key}`,
      });
    }
    // Docker also accepts {"key":{"value":true}}; take either.
    const list = Array.isArray(values)
      ? values
      : typeof values === 'object' && values
        ? Object.keys(values)
        : undefined;
    if (!list || list.some((v) => typeof v !== 'string')) {
      throw invalid(`event filter "${key}" must be a list of strings`, { field: `filters.${key}` });
    }
    filters[key as FilterKey] = list as string[];
  }
  return filters;
}

/** Every given key must match (AND); within one key any value may match (OR), as in Docker. */
export function eventMatches(filters: EventFilters, event: EngineEvent): boolean {
  const anyOf = (key: FilterKey, test: (value: string) => boolean) => {
    const values = filters[key];
    return values === undefined || values.some(test);
  };
  const actorMatches = (value: string) =>
    event.actor.id === value || event.actor.id.startsWith(value) || event.actor.attributes.name === value;
  return (
    anyOf('type', (v) => v === event.type) &&
    anyOf('event', (v) => v === event.action) &&
    anyOf('container', (v) => event.type === 'container' && actorMatches(v)) &&
    anyOf('image', (v) => (event.type === 'image' ? actorMatches(v) : event.actor.attributes.image === v)) &&
    anyOf('volume', (v) => event.type === 'volume' && actorMatches(v)) &&
    anyOf('network', (v) => event.type === 'network' && actorMatches(v)) &&
    anyOf('label', (v) => {
      const eq = v.indexOf('=');
      const key = eq < 0 ? v : v.slice(0, eq);
      const actual = event.actor.attributes[key];
      return actual !== undefined && (eq < 0 || actual === v.slice(eq + 1));
    })
  );
}

/** `since`: RFC 3339 time or unix seconds with an optional fraction → nanoseconds since the epoch. */
export function parseTimeNano(value: string, field: string): bigint {
  const seconds = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (seconds) return BigInt(seconds[1]!) * 1_000_000_000n + BigInt((seconds[2] ?? '').padEnd(9, '0'));
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw invalid(`${field} "${value}" is neither an RFC 3339 time nor unix seconds`, { field });
  return BigInt(ms) * 1_000_000n;
}
