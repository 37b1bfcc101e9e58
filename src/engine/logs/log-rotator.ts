/**
 * Size-based rotation of container logs while conmon writes them: the live file is renamed to `.1`
 * (older ones shift up, the oldest beyond the limit is deleted) and conmon is asked to reopen its log,
 * which creates a fresh live file. conmon's own `--log-size-max` remains the hard bound while marinad is
 * down; this keeps the history that conmon would otherwise truncate.
 */
import { rename, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { invalid } from '../../errors.ts';
import { isNotFound, rotatedIndexes, rotatedPath, statOrUndefined } from './log-files.ts';

export interface RotationLimits {
  /** Rotate once the live file is larger than this. */
  maxBytes: number;
  /** Files kept in total, the live one included. */
  maxFiles: number;
}

/** One file system step; index 0 is the live file, k is `<log>.k`. */
export type RotationStep = { kind: 'delete'; index: number } | { kind: 'rename'; from: number; to: number };

/**
 * The steps that rotate a log (pure): nothing while the live file is within `maxBytes`; otherwise, from
 * the oldest file down, delete what would shift beyond `maxFiles - 1` and shift the rest up by one.
 * Going oldest first means no rename ever overwrites a file. With `maxFiles` 1 the live file is deleted.
 */
export function planRotation(liveSize: number, rotated: readonly number[], limits: RotationLimits): RotationStep[] {
  if (liveSize <= limits.maxBytes) return [];
  return [...new Set([0, ...rotated])]
    .sort((a, b) => b - a)
    .map((index): RotationStep => (index + 1 >= limits.maxFiles ? { kind: 'delete', index } : { kind: 'rename', from: index, to: index + 1 }));
}

export interface LogRotatorOptions extends RotationLimits {
  /** Asks the container's monitor to reopen its log file (it then creates a new live file). */
  reopen: (id: string) => Promise<void>;
  /** How often tracked files are checked (default 10 s). */
  intervalMs?: number;
  logger: Pick<Logger, 'warn'>;
}

export class LogRotator {
  private readonly options: LogRotatorOptions;
  private readonly tracked = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(options: LogRotatorOptions) {
    if (!Number.isInteger(options.maxFiles) || options.maxFiles < 1) {
      throw invalid(`log max-file must be a whole number of at least 1, got ${options.maxFiles}`);
    }
    if (!(options.maxBytes > 0)) throw invalid(`log max-size must be more than 0 bytes, got ${options.maxBytes}`);
    this.options = options;
  }

  track(id: string, logPath: string): void {
    this.tracked.set(id, logPath);
  }

  untrack(id: string): void {
    this.tracked.delete(id);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.checkAll(), this.options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a check in progress, so no rename happens after it resolves. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  /** Rotates every tracked log that is over the limit; one check at a time. */
  checkAll(): Promise<void> {
    this.checking ??= this.rotateAll().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async rotateAll(): Promise<void> {
    for (const [id, logPath] of this.tracked) {
      try {
        await this.rotateIfNeeded(id, logPath);
      } catch (err) {
        this.options.logger.warn({ err, id, logPath }, 'log rotation failed; will retry at the next check');
      }
    }
  }

  private async rotateIfNeeded(id: string, logPath: string): Promise<void> {
    const live = await statOrUndefined(logPath);
    if (!live) return;
    const steps = planRotation(live.size, await rotatedIndexes(logPath), this.options);
    if (steps.length === 0) return;
    for (const step of steps) {
      if (step.kind === 'delete') await unlinkIfPresent(rotatedPath(logPath, step.index));
      else await rename(rotatedPath(logPath, step.from), rotatedPath(logPath, step.to));
    }
    await this.options.reopen(id);
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
