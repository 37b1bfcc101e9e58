/**
 * Bytes a directory tree holds, as Docker measures a container's writable layer or a volume for
 * `system df`: the sizes of everything but directories, each inode once (hard links share their data).
 * The tree may change while it is walked (a running container writes and deletes): whatever vanishes
 * meanwhile counts as nothing, and a missing tree is 0 bytes.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function treeBytes(dir: string): Promise<number> {
  return bytesBelow(dir, new Set());
}

async function bytesBelow(dir: string, seenLinkedInodes: Set<bigint>): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(ignoreVanished);
  let total = 0;
  for (const entry of entries ?? []) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      total += await bytesBelow(path, seenLinkedInodes);
      continue;
    }
    const stats = await lstat(path, { bigint: true }).catch(ignoreVanished);
    if (!stats) continue;
    // Only inodes with several names can be met twice; remembering just those keeps the set small.
    if (stats.nlink > 1n) {
      if (seenLinkedInodes.has(stats.ino)) continue;
      seenLinkedInodes.add(stats.ino);
    }
    total += Number(stats.size);
  }
  return total;
}

function ignoreVanished(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
  throw err;
}
