/**
 * One marinad per state root: `<root>/marinad.lock` holds the owner's pid. The file is created with an
 * exclusive open; when it already exists, a live pid means the root is taken and a dead one is a
 * leftover from a crash, removed and retried once.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { MarinaError } from '../errors.ts';

export type LockHolder = { kind: 'none' } | { kind: 'live'; pid: number } | { kind: 'stale' };

/** Pure: what the content of an existing lock file means. */
export function judgeLockHolder(
  content: string | undefined,
  isAlive: (pid: number) => boolean,
  selfPid: number,
): LockHolder {
  if (content === undefined) return { kind: 'none' };
  const pid = Number(content.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === selfPid) return { kind: 'stale' };
  return isAlive(pid) ? { kind: 'live', pid } : { kind: 'stale' };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else, which still means alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Takes the lock or throws `Conflict` naming the live owner; returns the release function. */
export function acquirePidLock(path: string, root: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (readIfExists(path)?.trim() === String(process.pid)) unlinkSync(path);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = judgeLockHolder(readIfExists(path), isProcessAlive, process.pid);
    if (holder.kind === 'live') {
      throw new MarinaError(
        'Conflict',
        `another marinad (pid ${holder.pid}) already uses the state root ${root}: stop it first, or give this one its own --root`,
      );
    }
    if (holder.kind === 'stale') unlinkSync(path);
  }
  throw new MarinaError(
    'Conflict',
    `could not take the lock ${path}: another marinad is starting on ${root} at the same time`,
  );
}
