/**
 * conmon's k8s-file log format, one record per line:
 *   `2026-11-22T18:56:02.004232110+00:00 stdout F hello`
 * conmon cuts long output into `P` (partial) records and ends each line with an `F` record, so a reader
 * joins the partials of one stream into one entry. Lines are handled as bytes: a multi-byte character
 * may be split across two partial records.
 */
import { invalid } from '../../errors.ts';
import type { LogEntry } from '../container-types.ts';

export type LogStream = 'stdout' | 'stderr';

export interface K8sLogRecord {
  /** The timestamp exactly as written, nanoseconds included (for `logs -t`). */
  time: string;
  /** The same instant as nanoseconds since the epoch, for comparisons. */
  timeNano: bigint;
  stream: LogStream;
  partial: boolean;
  /** The record's bytes without the newline. */
  data: Buffer;
}

/** A log entry plus its comparable time: the time of its last record, when the line was complete. */
export interface TimedLogEntry extends LogEntry {
  timeNano: bigint;
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the epoch of an RFC 3339 time, or undefined when `text` is not one. */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = rfc3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  // Date.UTC rolls 2026-02-31 over into March; a real timestamp never needs that.
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'));
  const zone = m[8]!;
  let offsetMinutes = 0n;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    offsetMinutes = sign * (BigInt(zone.slice(1, 3)) * 60n + BigInt(zone.slice(4, 6)));
  }
  return BigInt(ms) * 1_000_000n + fraction - offsetMinutes * 60_000_000_000n;
}

const SPACE = 0x20;

/** Parses one record (without its newline); undefined for a line that is not a k8s-file record. */
export function parseK8sLine(line: Buffer): K8sLogRecord | undefined {
  const timeEnd = line.indexOf(SPACE);
  if (timeEnd < 0) return undefined;
  const streamEnd = line.indexOf(SPACE, timeEnd + 1);
  if (streamEnd < 0) return undefined;
  const stream = line.toString('latin1', timeEnd + 1, streamEnd);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = line[streamEnd + 1];
  if (tag !== 0x46 /* F */ && tag !== 0x50 /* P */) return undefined;
  const afterTag = streamEnd + 2;
  // An empty line may be written with or without the space after the tag.
  if (afterTag < line.length && line[afterTag] !== SPACE) return undefined;
  const time = line.toString('latin1', 0, timeEnd);
  const timeNano = parseRfc3339Nano(time);
  if (timeNano === undefined) return undefined;
  return { time, timeNano, stream, partial: tag === 0x50, data: line.subarray(Math.min(afterTag + 1, line.length)) };
}

/** One record as conmon writes it, newline included. */
export function formatK8sLine(time: string, stream: LogStream, partial: boolean, data: Buffer | string): Buffer {
  if (parseRfc3339Nano(time) === undefined) throw invalid(`log time "${time}" is not an RFC 3339 time`);
  return Buffer.concat([Buffer.from(`${time} ${stream} ${partial ? 'P' : 'F'} `), Buffer.from(data), Buffer.from('\n')]);
}

/**
 * Joins partial records into entries. Each stream has its own pending partials, because conmon may
 * interleave a complete stderr line between the partials of a long stdout line.
 */
export class PartialLineAssembler {
  private readonly pending = new Map<LogStream, { parts: Buffer[]; last: K8sLogRecord }>();

  /** Returns the completed entry, or undefined while the line is still partial. */
  push(record: K8sLogRecord): TimedLogEntry | undefined {
    const open = this.pending.get(record.stream);
    if (record.partial) {
      if (open) {
        open.parts.push(record.data);
        open.last = record;
      } else {
        this.pending.set(record.stream, { parts: [record.data], last: record });
      }
      return undefined;
    }
    this.pending.delete(record.stream);
    return {
      time: record.time,
      timeNano: record.timeNano,
      stream: record.stream,
      data: Buffer.concat([...(open?.parts ?? []), record.data, Buffer.from('\n')]),
    };
  }

  /** Entries for lines that never got their final record (the writer stopped mid-line); no newline. */
  flush(): TimedLogEntry[] {
    const entries = [...this.pending].map(([stream, { parts, last }]) => ({
      time: last.time,
      timeNano: last.timeNano,
      stream,
      data: Buffer.concat(parts),
    }));
    this.pending.clear();
    return entries.sort((a, b) => compareNano(a.timeNano, b.timeNano));
  }
}

export function compareNano(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
