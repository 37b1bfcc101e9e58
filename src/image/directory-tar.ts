/**
 * Packs a directory tree into a tar stream the way a layer needs it: modes, owners, symlinks, device
 * nodes and hard links (a second path to an inode becomes a tar hard link) kept, mtimes taken from the
 * files, entries in sorted order, so the same tree always gives the same bytes.
 *
 * `writeTree` is the one walk behind every such tar: packDirectory writes the tree as it is, and the
 * snapshotter's upper diff (src/snapshot/upper-diff.ts) rewrites entries (overlay whiteouts, xattrs).
 */
import { type BigIntStats, createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
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

/** Entries whose headers and small bodies are read ahead of the writer: trees are mostly small files. */
const readAhead = 32;
/** Files up to this size are read whole ahead of time; larger ones are streamed when their turn comes. */
const smallFileBytes = 256 * 1024;

interface PreparedEntry {
  path: string;
  headers: readonly EntryHeader[];
  /** The contents of a small file, read ahead. */
  body?: Buffer;
}

export async function writeTree(
  pack: tar.Pack,
  root: string,
  rewrite: RewriteEntry = keepAsIs,
): Promise<void> {
  const firstPathOfInode = new Map<string, string>();
  const prepare = async (entry: TreeEntry, header: EntryHeader | undefined): Promise<PreparedEntry> => {
    const path = join(root, entry.relative);
    // Sockets cannot be archived and mean nothing in an image; they are left out.
    const headers = header === undefined ? [] : rewrite(entry, header);
    const size = headers.find((h) => h.type === 'file')?.size ?? 0;
    return size > 0 && size <= smallFileBytes ? { path, headers, body: await readFile(path) } : { path, headers };
  };
  const pending: Promise<PreparedEntry>[] = [];
  const writeOldest = async () => {
    const { path, headers, body } = await pending.shift()!;
    for (const written of headers) {
      if (written.type !== 'file') await addEntry(pack, written);
      else if ((written.size ?? 0) === 0) await addEntry(pack, written, Buffer.alloc(0));
      else if (body !== undefined && body.length === written.size) await addEntry(pack, written, body);
      else await addStream(pack, written, createReadStream(path));
    }
  };
  try {
    for await (const entry of walkTree(root)) {
      // Headers in walk order: the first path of a hard-linked inode must be seen first.
      const header = await headerOf(join(root, entry.relative), entry, firstPathOfInode);
      pending.push(prepare(entry, header));
      if (pending.length >= readAhead) await writeOldest();
    }
    while (pending.length > 0) await writeOldest();
  } finally {
    // A failure leaves no read-ahead rejection unhandled.
    for (const p of pending) p.catch(() => {});
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
  const children = names.map((name) => (relative === '' ? name : `${relative}/${name}`));
  // A directory's entries are stat'ed together; the walk's order stays the same.
  const stats = await Promise.all(children.map((child) => lstat(join(root, child), { bigint: true })));
  for (const [i, child] of children.entries()) {
    yield { relative: child, stats: stats[i]! };
    if (stats[i]!.isDirectory()) yield* walkTree(root, child);
  }
}
