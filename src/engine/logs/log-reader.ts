/**
 * Reads a container's k8s-file log (rotated files oldest first, then the live one) as entries, and
 * with `follow` keeps tailing the live file across rotations until the container stops or the caller
 * aborts. Options are checked before anything is read.
 */
import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import type { LogEntry, LogOptions } from '../container-types.ts';
import { PartialLineAssembler, parseK8sLine, type TimedLogEntry } from './k8s-log.ts';
import { LineCursor, linesBackward, openLogChain, openSuccessorsOf } from './log-files.ts';
import { isPastUntil, isShown, type LogQuery, resolveLogQuery } from './log-query.ts';
import { TailStartFinder } from './tail-start.ts';

export interface LogReadControl {
  signal?: AbortSignal;
  /** Whether the container may still write; following ends once it is not and the log is drained. */
  isRunning: () => boolean;
}

/** How often a follower looks for new lines when no file system event arrives. */
const POLL_MS = 250;

export function readLogs(logPath: string, options: LogOptions, control: LogReadControl): AsyncIterable<LogEntry> {
  const query = resolveLogQuery(options, BigInt(Date.now()) * 1_000_000n);
  return read(logPath, query, control);
}

async function* read(logPath: string, query: LogQuery, control: LogReadControl): AsyncGenerator<TimedLogEntry> {
  const { signal } = control;
  const cursors = await openLogChain(logPath);
  const selector = new EntrySelector(query);
  let live: LineCursor | undefined;
  /** Rotated files still to read before `live`, after a rotation while following. */
  let queued: LineCursor[] = [];
  let changes: ChangeWaiter | undefined;
  try {
    if (query.tail !== undefined) await skipToTail(cursors, query, query.tail);
    // Backlog: every file but the last is read and closed; the last one may be the live file.
    while (cursors.length > 0 && !signal?.aborted) {
      yield* selector.take(cursors[0]!);
      if (cursors.length === 1) break;
      await cursors.shift()!.close();
    }
    live = cursors.pop();
    if (!query.follow) {
      yield* selector.finish();
      return;
    }
    yield* selector.release();
    changes = new ChangeWaiter(dirname(logPath));
    while (!selector.ended && !signal?.aborted) {
      // Read isRunning before draining: whatever was written before the process ended is then read.
      const wasRunning = control.isRunning();
      for (;;) {
        live ??= await LineCursor.open(logPath);
        if (!live) break;
        yield* selector.take(live);
        const successors = await openSuccessorsOf(logPath, live.ino);
        if (successors.length === 0) break;
        // conmon stopped writing to the old file before it created the new one: drain, then move on.
        yield* selector.take(live);
        await live.close();
        live = successors.pop();
        queued = successors;
        for (let next = queued.shift(); next; next = queued.shift()) {
          try {
            yield* selector.take(next);
          } finally {
            await next.close();
          }
        }
      }
      if (!wasRunning) break;
      await changes.wait(signal);
    }
    if (!signal?.aborted) yield* selector.finish();
  } finally {
    changes?.close();
    await Promise.all([...cursors, ...queued].map((c) => c.close().catch(() => {})));
    await live?.close().catch(() => {});
  }
}

/** Moves the cursors so that reading forward yields the last `tail` entries (see TailStartFinder). */
async function skipToTail(cursors: LineCursor[], query: LogQuery, tail: number): Promise<void> {
  const finder = new TailStartFinder(query, tail);
  for (let i = cursors.length - 1; i >= 0; i--) {
    const cursor = cursors[i]!;
    const { size } = await cursor.handle.stat();
    for await (const { line, next } of linesBackward(cursor.handle, size)) {
      const record = parseK8sLine(line);
      if (record && finder.feedBackward(record)) {
        cursor.skipTo(next);
        for (const older of cursors.splice(0, i)) await older.close();
        return;
      }
    }
  }
}

/** Turns lines into the entries to show: joins partials, filters, keeps the tail window, stops at `until`. */
class EntrySelector {
  private readonly assembler = new PartialLineAssembler();
  private readonly query: LogQuery;
  /** Entries held back until the backlog is read, so only the last `tail` are shown. */
  private window: TimedLogEntry[] | undefined;
  ended = false;

  constructor(query: LogQuery) {
    this.query = query;
    this.window = query.tail === undefined ? undefined : [];
  }

  async *take(cursor: LineCursor): AsyncGenerator<TimedLogEntry> {
    if (this.ended) return;
    for await (const line of cursor.lines()) {
      const record = parseK8sLine(line);
      const entry = record && this.assembler.push(record);
      if (entry && this.select(entry)) yield entry;
      if (this.ended) return;
    }
  }

  /** Ends the backlog: yields the held tail window; from now on entries pass straight through. */
  *release(): Generator<TimedLogEntry> {
    const held = this.window ?? [];
    this.window = undefined;
    yield* held;
  }

  /** Ends the output: lines cut short (the writer is gone) become entries of their own. */
  *finish(): Generator<TimedLogEntry> {
    for (const entry of this.assembler.flush()) if (!this.ended && this.select(entry)) yield entry;
    yield* this.release();
  }

  /** True when the entry should be yielded now; held entries go to the window. */
  private select(entry: TimedLogEntry): boolean {
    if (isPastUntil(entry, this.query)) {
      this.ended = true;
      return false;
    }
    if (!isShown(entry, this.query)) return false;
    if (this.window) {
      this.window.push(entry);
      if (this.window.length > this.query.tail!) this.window.shift();
      return false;
    }
    return true;
  }
}

/** Wakes a follower on a file system event in the log directory, after POLL_MS at the latest, or on abort. */
class ChangeWaiter {
  private watcher: FSWatcher | undefined;
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(dir: string) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => {
        this.changed = true;
        this.wake?.();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      // No inotify (or the directory is gone): polling alone still works.
      this.watcher = undefined;
    }
  }

  wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.changed || signal?.aborted) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
