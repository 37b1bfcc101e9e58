/**
 * Writing into a mounted rootfs without leaving it: COPY and ADD in builds and `docker cp` into containers
 * go through here. Paths the
 * instruction names are resolved with resolveInRoot (the image's symlinks resolve inside the rootfs);
 * below a resolved directory nothing is written through a symlink: files are created with O_EXCL (which
 * refuses an existing link), and an existing link is replaced, never followed.
 */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readlink, symlink, unlink } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import { invalid } from '../errors.ts';
import { runChecked } from '../run-command.ts';
import { resolveInRoot } from './resolve-in-root.ts';

/** Where something is written inside the rootfs. */
export interface Destination {
  /** Absolute, normalized path inside the rootfs (`/` for the root). */
  path: string;
  /** Written as a directory (trailing `/`, `.` or `/.`): sources always go inside it. */
  isDirectory: boolean;
}

export interface Owner {
  uid: number;
  gid: number;
}

/** Owner, permission bits and times to give an entry once it exists. */
export interface EntryMetadata {
  owner: Owner;
  /** Permission bits (with setuid/setgid/sticky); undefined keeps what the entry was created with. */
  mode: number | undefined;
  /** Seconds since the epoch (fractions kept); undefined leaves the times the creation gave. */
  atime: number | undefined;
  mtime: number | undefined;
}

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export class RootfsWriter {
  readonly rootfs: string;
  /** Owner of the directories this writer creates on the way to a destination. */
  readonly owner: Owner;

  constructor(rootfs: string, owner: Owner) {
    this.rootfs = rootfs;
    this.owner = owner;
  }

  /** The path a host path has inside the image, for messages. */
  inImage(host: string): string {
    return posix.join('/', relative(this.rootfs, host));
  }

  /**
   * Creates the directory `path` (absolute in the image) and its missing parents, 0755 and owned by
   * `owner` like BuildKit's MkdirAll; returns its host path.
   */
  async makeDirectories(path: string): Promise<string> {
    const host = await resolveInRoot(this.rootfs, path);
    let current = this.rootfs;
    // resolveInRoot followed every link that exists, so what is left to create has no link in it.
    for (const component of relative(this.rootfs, host).split('/')) {
      if (component === '') continue;
      current = join(current, component);
      const stats = await lstatOrUndefined(current);
      if (stats === undefined) {
        await mkdir(current);
        await this.finish(current, { owner: this.owner, mode: 0o755, atime: undefined, mtime: undefined }, false);
      } else if (!stats.isDirectory()) {
        throw invalid(
          `cannot create the directory ${this.inImage(host)} in the image: ${this.inImage(current)} is a file there; choose another destination`,
        );
      }
    }
    return host;
  }

  /**
   * Where a file called `name` lands for `destination`: inside it when it is written as a directory or
   * is one (a link to a directory counts), else at the destination itself, replacing a file or link there.
   */
  async fileTarget(destination: Destination, name: string): Promise<string> {
    if (destination.isDirectory) return join(await this.makeDirectories(destination.path), name);
    const parent = await this.makeDirectories(posix.dirname(destination.path));
    const host = join(parent, posix.basename(destination.path));
    const stats = await lstatOrUndefined(host);
    if (stats?.isDirectory()) return join(host, name);
    if (stats?.isSymbolicLink()) {
      const followed = await resolveInRoot(this.rootfs, destination.path);
      if ((await lstatOrUndefined(followed))?.isDirectory()) return join(followed, name);
    }
    return host;
  }

  /**
   * Runs `create`, which must fail with EEXIST when something is at `target`; a file, link or special
   * file there is then removed and `create` runs again. A directory is never replaced by a non-directory.
   * Trying first saves an lstat per file: destinations are usually new.
   */
  async replacing(target: string, create: () => Promise<void>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if ((await lstat(target)).isDirectory()) {
        throw invalid(`cannot replace the directory ${this.inImage(target)} in the image with a file; remove it first or choose another destination`);
      }
      await unlink(target);
      await create();
    }
  }

  /** Makes `target` a directory (keeping one already there); false when it already was one. */
  async ensureDirectory(target: string): Promise<boolean> {
    try {
      await mkdir(target, 0o700);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if ((await lstat(target)).isDirectory()) return false;
      throw invalid(`cannot copy a directory to ${this.inImage(target)}: the image has a file there`);
    }
  }

  /** Copies one non-directory entry (file, symlink, fifo, device) from the host path `source`. */
  async copyEntry(source: string, stats: Stats, target: string, mode: number | undefined, owner: Owner): Promise<void> {
    const metadata: EntryMetadata = { owner, mode, atime: stats.atimeMs / 1000, mtime: stats.mtimeMs / 1000 };
    const ownMode = stats.mode & 0o7777;
    if (stats.isFile()) {
      await this.replacing(target, () => copyFile(source, target, constants.COPYFILE_EXCL));
      // copyFile gave the source's bits already; chown clears setuid/setgid, so those need setting again.
      if (mode === undefined && (ownMode & 0o6000) !== 0) metadata.mode = ownMode;
      await this.finish(target, metadata, false);
    } else if (stats.isSymbolicLink()) {
      const linkTarget = await readlink(source);
      await this.replacing(target, () => symlink(linkTarget, target));
      await this.finish(target, metadata, true);
    } else if (stats.isFIFO() || stats.isCharacterDevice() || stats.isBlockDevice()) {
      const kind = stats.isFIFO() ? 'fifo' : stats.isCharacterDevice() ? 'character-device' : 'block-device';
      await this.replacing(target, () => makeSpecialFile(target, kind, majorOf(stats.rdev), minorOf(stats.rdev)));
      await this.finish(target, { ...metadata, mode: mode ?? ownMode }, false);
    }
    // Sockets are skipped, as BuildKit does: they only mean something to the process that bound them.
  }

  /** Sets owner, then mode (chown clears setuid/setgid), then times; `isLink` uses the l-variants. */
  async finish(target: string, metadata: EntryMetadata, isLink: boolean): Promise<void> {
    await lchown(target, metadata.owner.uid, metadata.owner.gid);
    if (!isLink && metadata.mode !== undefined) await chmod(target, metadata.mode);
    if (metadata.mtime !== undefined) await lutimes(target, metadata.atime ?? metadata.mtime, metadata.mtime);
  }
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor), for the numbers below 2^32 that stat reports. */
function majorOf(rdev: number): number {
  return (rdev >>> 8) & 0xfff;
}

function minorOf(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
}

export type SpecialFileKind = 'fifo' | 'character-device' | 'block-device';

/** Node has no mknod/mkfifo; special files are rare enough in a COPY for a process each. */
export async function makeSpecialFile(target: string, kind: SpecialFileKind, major: number, minor: number): Promise<void> {
  if (await lstatOrUndefined(target)) throw Object.assign(new Error(`${target} exists`), { code: 'EEXIST' });
  const args = kind === 'fifo' ? ['--', target, 'p'] : ['--', target, kind === 'character-device' ? 'c' : 'b', String(major), String(minor)];
  await runChecked('mknod', args);
}
