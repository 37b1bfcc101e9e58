/**
 * The files of one container log: the live file `ctr.log` and the rotated ones `ctr.log.1` (newest)
 * to `ctr.log.N` (oldest), read line by line forwards or backwards. Open handles keep reading the same
 * file when the rotator renames it.
 */
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/** Indexes of the rotated files present next to `logPath`, ascending (1 = newest). */
export async function rotatedIndexes(logPath: string): Promise<number[]> {
  const prefix = `${basename(logPath)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(logPath));
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^[1-9]\d*$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b);
}

export function rotatedPath(logPath: string, index: number): string {
  return index === 0 ? logPath : `${logPath}.${index}`;
}

/** All log files, oldest first, the live file last (when it exists). */
export async function logFilesOldestFirst(logPath: string): Promise<string[]> {
  const rotated = (await rotatedIndexes(logPath)).reverse().map((i) => rotatedPath(logPath, i));
  return (await exists(logPath)) ? [...rotated, logPath] : rotated;
}

/**
 * The files written after the file with inode `ino` was rotated away, oldest first, or [] when `ino`
 * is still the live file (or no new live file exists yet: conmon still writes to the renamed one).
 */
export async function successorsOf(logPath: string, ino: number): Promise<string[]> {
  const live = await statOrUndefined(logPath);
  if (!live || live.ino === ino) return [];
  const indexes = await rotatedIndexes(logPath);
  for (const index of indexes) {
    if ((await statOrUndefined(rotatedPath(logPath, index)))?.ino === ino) {
      const newer = indexes.filter((i) => i < index).reverse();
      return [...newer.map((i) => rotatedPath(logPath, i)), logPath];
    }
  }
  // The file was deleted by rotation before it was drained; continue with the live one.
  return [logPath];
}

/** Reads complete lines forwards from a position; a trailing line without newline waits for its end. */
export class LineCursor {
  readonly handle: FileHandle;
  readonly ino: number;
  private position: number;
  private fragment: Buffer = Buffer.alloc(0);

  private constructor(handle: FileHandle, ino: number, position: number) {
    this.handle = handle;
    this.ino = ino;
    this.position = position;
  }

  /** Undefined when the file does not exist. */
  static async open(path: string, position = 0): Promise<LineCursor | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const { ino } = await handle.stat();
    return new LineCursor(handle, ino, position);
  }

  /** Continues reading at `position` (the start of a line). */
  skipTo(position: number): void {
    this.position = position;
    this.fragment = Buffer.alloc(0);
  }

  /** Complete lines (without newline) between the position and the current end of the file. */
  async *lines(): AsyncGenerator<Buffer> {
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, CHUNK, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const data = this.fragment.length > 0 ? Buffer.concat([this.fragment, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        yield Buffer.from(data.subarray(start, nl));
        start = nl + 1;
      }
      this.fragment = Buffer.from(data.subarray(start));
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/**
 * Complete lines of the first `end` bytes of a file, last line first, each with the offset just past
 * its newline. Bytes after the last newline (a line still being written) are skipped.
 */
export async function* linesBackward(handle: FileHandle, end: number): AsyncGenerator<{ line: Buffer; next: number }> {
  let position = end;
  let carry = Buffer.alloc(0);
  let skippedUnfinished = false;
  while (position > 0) {
    const size = Math.min(CHUNK, position);
    position -= size;
    const chunk = Buffer.alloc(size);
    await handle.read(chunk, 0, size, position);
    const data = Buffer.concat([chunk, carry]);
    let lineEnd = data.length;
    for (let nl = data.lastIndexOf(NEWLINE, lineEnd - 1); nl >= 0; nl = nl > 0 ? data.lastIndexOf(NEWLINE, nl - 1) : -1) {
      if (skippedUnfinished) yield { line: Buffer.from(data.subarray(nl + 1, lineEnd)), next: position + lineEnd + 1 };
      skippedUnfinished = true;
      lineEnd = nl;
    }
    carry = Buffer.from(data.subarray(0, lineEnd));
  }
  if (skippedUnfinished && carry.length > 0) yield { line: carry, next: carry.length + 1 };
}

export async function statOrUndefined(path: string): Promise<{ ino: number; size: number } | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await statOrUndefined(path)) !== undefined;
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
