/**
 * The cache key of a COPY/ADD from a tree: a digest of what the matches would copy. Per entry it covers
 * the relative path, type, permission bits, symlink target and file content; not mtime and not owner,
 * which a rebuild from a fresh checkout changes without changing the result Docker's cache cares about.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { fileDigest } from './file-digest.ts';
import type { SourceTree } from './source-tree.ts';
import { type SourceMatch, type WalkEntry, walkWith } from './walk.ts';

/** Files hashed at once: enough to keep a disk and a core busy without flooding the thread pool. */
const concurrency = 16;

/**
 * A sha256 digest ('sha256:…') of what the matches would copy. Same content → same digest, any change of
 * content, mode, path, link target or match order → another.
 */
export async function hashSources(tree: SourceTree, matches: SourceMatch[]): Promise<string> {
  const hash = createHash('sha256');
  for (const match of matches) {
    const entries: WalkEntry<BigIntStats>[] = [];
    for await (const entry of walkWith(tree, match, (path) => lstat(path, { bigint: true })))
      entries.push(entry);
    const contents = await mapLimited(entries, concurrency, contentOf);
    hash.update(`${JSON.stringify(['match', match.relative, match.isDirectory])}\n`);
    entries.forEach((entry, i) => {
      const line = [
        entry.relative,
        typeOf(entry.stats),
        Number(entry.stats.mode & 0o7777n),
        contents[i] ?? '',
      ];
      hash.update(`${JSON.stringify(line)}\n`);
    });
  }
  return `sha256:${hash.digest('hex')}`;
}

/** What of an entry beyond its metadata is copied: a file's content digest, a symlink's target. */
function contentOf(entry: WalkEntry<BigIntStats>): Promise<string> | string {
  if (entry.stats.isFile()) return fileDigest(entry.path, entry.stats);
  if (entry.stats.isSymbolicLink()) return readlink(entry.path);
  return '';
}

function typeOf(stats: BigIntStats): string {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isCharacterDevice()) return `char:${stats.rdev}`;
  if (stats.isBlockDevice()) return `block:${stats.rdev}`;
  return 'other';
}

/** `map` with at most `limit` calls running at once; results in input order. */
async function mapLimited<T, R>(items: T[], limit: number, map: (item: T) => Promise<R> | R): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await map(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
