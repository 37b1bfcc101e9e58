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

/**
 * Opens every log file, oldest first, the live file last (when it exists). A rotation while opening
 * would shift names under us and yield a file twice or not at all, so the names are checked again
 * after opening and the whole set is reopened until no rotation slipped in.
 */
export async function openLogChain(logPath: string): Promise<LineCursor[]> {
  for (;;) {
    const paths = await chainPaths(logPath);
    const cursors: LineCursor[] = [];
    for (const path of paths) {
      const cursor = await LineCursor.open(path);
      if (cursor) cursors.push(cursor);
    }
    const after = await chainPaths(logPath);
    const inos = await Promise.all(after.map(async (path) => (await statOrUndefined(path))?.ino));
    if (inos.length === cursors.length && inos.every((ino, i) => ino === cursors[i]!.ino)) return cursors;
    await Promise.all(cursors.map((c) => c.close()));
  }
}

async function chainPaths(logPath: string): Promise<string[]> {
  const rotated = (await rotatedIndexes(logPath)).reverse().map((i) => rotatedPath(logPath, i));
  return (await statOrUndefined(logPath)) ? [...rotated, logPath] : rotated;
}

/**
 * When the file with inode `ino` is no longer the live file and a new live file exists, the files
 * written after it, oldest first and open; otherwise [] (conmon may still be writing to the renamed
 * file until it reopens).
 */
export async function openSuccessorsOf(logPath: string, ino: number): Promise<LineCursor[]> {
  const live = await statOrUndefined(logPath);
  if (!live || live.ino === ino) return [];
  const chain = await openLogChain(logPath);
  // Not found means rotation already deleted it: then every file in the chain is newer.
  const position = chain.findIndex((c) => c.ino === ino);
  await Promise.all(chain.slice(0, position + 1).map((c) => c.close()));
  return chain.slice(position + 1);
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

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
