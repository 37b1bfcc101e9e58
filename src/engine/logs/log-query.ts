/**
 * Turns the user's log options into a checked query (pure): time bounds as nanoseconds, the streams to
 * show, the tail length. Invalid options throw before any file is opened.
 */
import { invalid } from '../../errors.ts';
import type { LogOptions } from '../container-types.ts';
import { type LogStream, parseRfc3339Nano, type TimedLogEntry } from './k8s-log.ts';

export interface LogQuery {
  streams: ReadonlySet<LogStream>;
  sinceNano: bigint | undefined;
  untilNano: bigint | undefined;
  /** Undefined means all entries. */
  tail: number | undefined;
  follow: boolean;
}

const unixSeconds = /^(\d+)(?:\.(\d{1,9}))?$/;
const goDuration = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const durationPart = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const nanosPerUnit: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * A `since`/`until` value as docker accepts it: an RFC 3339 time (`2026-11-22T18:56:02.004232110Z`), unix
 * seconds with an optional fraction (`1700000000.5`), or a duration back from now (`10m`, `1h30m`).
 */
export function parseTimeBound(value: string, nowNano: bigint, option = 'since'): bigint {
  const text = value.trim();
  const unix = unixSeconds.exec(text);
  if (unix) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0'));
  if (goDuration.test(text)) {
    let nanos = 0;
    for (const [, amount, unit] of text.matchAll(durationPart)) nanos += Number(amount) * nanosPerUnit[unit!]!;
    return nowNano - BigInt(Math.round(nanos));
  }
  const rfc = parseRfc3339Nano(text);
  if (rfc !== undefined) return rfc;
  throw invalid(
    `invalid value for "${option}": "${value}"; use an RFC 3339 time (2026-11-22T18:56:02Z), unix seconds (1700000000.5) or a duration back from now (10m, 1h30m)`,
  );
}

export function resolveLogQuery(options: LogOptions, nowNano: bigint): LogQuery {
  const bothUnset = options.stdout === undefined && options.stderr === undefined;
  const streams = new Set<LogStream>();
  if (bothUnset || options.stdout === true) streams.add('stdout');
  if (bothUnset || options.stderr === true) streams.add('stderr');
  if (streams.size === 0) throw invalid('choose at least one of stdout or stderr to show');
  const { tail } = options;
  if (tail !== undefined && !Number.isInteger(tail)) {
    throw invalid(`invalid tail ${tail}: give a whole number of lines, or a negative number for all`);
  }
  return {
    streams,
    sinceNano: options.since === undefined || options.since === '' ? undefined : parseTimeBound(options.since, nowNano, 'since'),
    untilNano: options.until === undefined || options.until === '' ? undefined : parseTimeBound(options.until, nowNano, 'until'),
    tail: tail === undefined || tail < 0 ? undefined : tail,
    follow: options.follow === true,
  };
}

/** Whether an entry belongs in the output; entries past `until` end the output instead (see the reader). */
export function isShown(entry: Pick<TimedLogEntry, 'stream' | 'timeNano'>, query: LogQuery): boolean {
  return query.streams.has(entry.stream) && (query.sinceNano === undefined || entry.timeNano >= query.sinceNano);
}

export function isPastUntil(entry: Pick<TimedLogEntry, 'timeNano'>, query: LogQuery): boolean {
  return query.untilNano !== undefined && entry.timeNano > query.untilNano;
}
