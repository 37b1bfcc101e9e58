/**
 * Packs a directory tree into a tar stream the way a layer needs it: modes, owners, symlinks, device
 * nodes and hard links (a second path to an inode becomes a tar hard link) kept, mtimes taken from the
 * files, entries in sorted order, so the same tree always gives the same bytes.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { addEntry, addStream, type EntryHeader } from './tar-entries.ts';

export function packDirectory(root: string): Readable {
  const pack = tar.pack();
  writeTree(pack, root).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return pack as unknown as Readable;
}

async function writeTree(pack: tar.Pack, root: string): Promise<void> {
  const firstPathOfInode = new Map<string, string>();
  for await (const relative of walk(root, '')) {
    const path = join(root, relative);
    const st = await lstat(path, { bigint: true });
    const header: EntryHeader = {
      name: relative,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtime: new Date(Number(st.mtimeMs)),
    };
    if (st.isDirectory()) {
      await addEntry(pack, { ...header, type: 'directory' });
    } else if (st.isSymbolicLink()) {
      await addEntry(pack, { ...header, type: 'symlink', linkname: await readlink(path) });
    } else if (st.isFile()) {
      const inode = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1n ? firstPathOfInode.get(inode) : undefined;
      if (first !== undefined) {
        await addEntry(pack, { ...header, type: 'link', linkname: first });
      } else {
        if (st.nlink > 1n) firstPathOfInode.set(inode, relative);
        await addStream(pack, { ...header, type: 'file', size: Number(st.size) }, createReadStream(path));
      }
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = Number(st.rdev);
      await addEntry(pack, {
        ...header,
        type: st.isCharacterDevice() ? 'character-device' : 'block-device',
        devmajor: (rdev >> 8) & 0xfff,
        devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
      });
    } else if (st.isFIFO()) {
      await addEntry(pack, { ...header, type: 'fifo' });
    }
    // Sockets cannot be archived and mean nothing in an image; they are left out.
  }
}

/** Paths below `root` (relative, no leading ./), parents before children, siblings sorted by name. */
async function* walk(root: string, relative: string): AsyncGenerator<string> {
  const names = (await readdir(join(root, relative))).sort();
  for (const name of names) {
    const child = relative === '' ? name : `${relative}/${name}`;
    yield child;
    const st = await lstat(join(root, child));
    if (st.isDirectory()) yield* walk(root, child);
  }
}
