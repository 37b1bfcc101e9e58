/**
 * Packs a directory tree into a tar stream the way a layer needs it: modes, owners, symlinks, device
 * nodes and hard links (a second path to an inode becomes a tar hard link) kept, mtimes taken from the
 * files, entries in sorted order, so the same tree always gives the same bytes.
 *
 * `writeTree` is the one walk behind every such tar: packDirectory writes the tree as it is, and the
 * snapshotter's upper diff (src/snapshot/upper-diff.ts) rewrites entries (overlay whiteouts, xattrs).
 */
import { type BigIntStats, createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type tar from 'tar-stream';
import { addEntry, addStream, type EntryHeader, packWith } from './tar-entries.ts';

export function packDirectory(root: string): Readable {
  return packWith((pack) => writeTree(pack, root));
}

/** One object of the tree, as the walk met it. */
export interface TreeEntry {
  /** Path below the root, no leading ./ */
  relative: string;
  stats: BigIntStats;
}

/**
 * Decides what the tar holds for an entry, given the header the walk would write: the headers to write in
 * its place, in order (none drops the entry). A `file` header with a non-zero size carries the entry's
 * contents, so only the walk's own file header (or a copy of it) may have one.
 */
export type RewriteEntry = (entry: TreeEntry, header: EntryHeader) => readonly EntryHeader[];

const keepAsIs: RewriteEntry = (_entry, header) => [header];

export async function writeTree(
  pack: tar.Pack,
  root: string,
  rewrite: RewriteEntry = keepAsIs,
): Promise<void> {
  const firstPathOfInode = new Map<string, string>();
  for await (const entry of walkTree(root)) {
    const path = join(root, entry.relative);
    const header = await headerOf(path, entry, firstPathOfInode);
    // Sockets cannot be archived and mean nothing in an image; they are left out.
    if (header === undefined) continue;
    for (const written of rewrite(entry, header)) {
      if (written.type !== 'file') await addEntry(pack, written);
      else if ((written.size ?? 0) > 0) await addStream(pack, written, createReadStream(path));
      // A file entry without a body would wait for one forever.
      else await addEntry(pack, written, Buffer.alloc(0));
    }
  }
}

async function headerOf(
  path: string,
  entry: TreeEntry,
  firstPathOfInode: Map<string, string>,
): Promise<EntryHeader | undefined> {
  const st = entry.stats;
  const header: EntryHeader = {
    name: entry.relative,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: new Date(Number(st.mtimeMs)),
  };
  if (st.isDirectory()) return { ...header, type: 'directory' };
  if (st.isSymbolicLink()) return { ...header, type: 'symlink', linkname: await readlink(path) };
  if (st.isFile()) {
    const inode = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1n ? firstPathOfInode.get(inode) : undefined;
    if (first !== undefined) return { ...header, type: 'link', linkname: first };
    if (st.nlink > 1n) firstPathOfInode.set(inode, entry.relative);
    return { ...header, type: 'file', size: Number(st.size) };
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const rdev = Number(st.rdev);
    return {
      ...header,
      type: st.isCharacterDevice() ? 'character-device' : 'block-device',
      devmajor: (rdev >> 8) & 0xfff,
      devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    };
  }
  if (st.isFIFO()) return { ...header, type: 'fifo' };
  return undefined;
}

/** Entries below `root` (the root itself excluded), parents before children, siblings sorted by name. */
export async function* walkTree(root: string, relative = ''): AsyncGenerator<TreeEntry> {
  const names = (await readdir(join(root, relative))).sort();
  for (const name of names) {
    const child = relative === '' ? name : `${relative}/${name}`;
    const stats = await lstat(join(root, child), { bigint: true });
    yield { relative: child, stats };
    if (stats.isDirectory()) yield* walkTree(root, child);
  }
}
