/**
 * Byte ranges as the registry speaks them: a blob GET's `Range: bytes=…` (RFC 9110), an upload chunk's
 * `Content-Range: <start>-<end>` (the Distribution spec's form, without the `bytes` unit), and the
 * `Range: 0-<last>` an upload reports its progress with.
 */
import { registryError } from '../../registry-errors.ts';

export interface ByteRange {
  /** Both inclusive. */
  start: number;
  end: number;
}

/**
 * The range a blob GET asks for, clipped to the blob. Undefined means "send it all": no header, a
 * malformed one, or several ranges (RFC 9110 lets a server ignore Range). 'unsatisfiable' means 416.
 */
export function parseRangeRequest(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // A suffix: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(size - length, 0), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Number(last);
  return { start, end: Math.min(end, size - 1) };
}

/**
 * An upload chunk's `Content-Range`: `<start>-<end>` per the spec; `bytes <start>-<end>/<total>` is
 * accepted too. A malformed or backwards range is RANGE_INVALID (416), as for an out-of-order chunk.
 */
export function parseChunkRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^\s*(?:bytes\s+)?(\d+)-(\d+)(?:\/(?:\d+|\*))?\s*$/i.exec(header);
  if (!match) {
    throw registryError(
      'RANGE_INVALID',
      `Content-Range "${header}" is malformed: send <start>-<end>, e.g. 0-1023`,
    );
  }
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) {
    throw registryError(
      'RANGE_INVALID',
      `Content-Range "${header}" ends before it starts: send <start>-<end> with start ≤ end`,
    );
  }
  return { start, end };
}

/** An upload's progress header value; with nothing received yet it is `0-0`, as distribution sends. */
export function uploadRange(offset: number): string {
  return `0-${Math.max(offset - 1, 0)}`;
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}
