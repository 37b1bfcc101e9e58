/**
 * sha256 of a file's content, remembered by the file's identity and change stamps, so a warm rebuild
 * re-reads only files that changed. (dev, ino, size, mtime ns, ctime ns) changes whenever the content
 * can have: a write moves mtime and ctime, a rename-over changes the inode, and ctime cannot be set back
 * by a user (unlike mtime, which `touch -d` or `tar` restore).
 */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Enough for the contexts of several big projects; each entry is ~200 bytes. */
const maxRemembered = 100_000;
/** Below this a single read is cheaper than a stream. */
const smallFile = 512 * 1024;

/** Insertion-ordered Map used as an LRU: a hit moves the key to the end, the oldest key is dropped first. */
const remembered = new Map<string, string>();

export async function fileDigest(path: string, stats: BigIntStats): Promise<string> {
  const key = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
  const known = remembered.get(key);
  if (known !== undefined) {
    remembered.delete(key);
    remembered.set(key, known);
    return known;
  }
  const digest = await hashFile(path, stats.size);
  remembered.set(key, digest);
  if (remembered.size > maxRemembered) remembered.delete(remembered.keys().next().value as string);
  return digest;
}

async function hashFile(path: string, size: bigint): Promise<string> {
  const hash = createHash('sha256');
  if (size < smallFile) hash.update(await readFile(path));
  else
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
      hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
