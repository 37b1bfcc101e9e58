/**
 * The one tar extractor behind image layers (apply-layer.ts), build contexts and ADD of a local archive
 * (src/build). What they share lives here: reading the stream in order, creating each entry type, a later
 * entry replacing an earlier one (a directory stays a directory), hard links only to files already
 * extracted, and directory modes and mtimes set last. What differs is given by the caller:
 * - an ExtractTree says how a parent directory is found or made and where a hard link's file is:
 *   LexicalTree (below) never follows a symlink; ADD's tree resolves inside a rootfs, links followed;
 * - an ExtractPolicy says which owner entries get, which names a link may use, and which entry types
 *   are refused, with the caller's own messages.
 * Names arrive normalized (relative, no `.`/`..`/empty segments, '' for the root): normalizing and
 * refusing names, like layer whiteouts and xattrs, is the caller's.
 *
 * Files are created with O_CREAT|O_EXCL|O_NOFOLLOW, which refuses a symlink in the final component, so
 * below a directory the tree returned, no write is redirected by a link.
 */
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { type MarinaError, asMarinaError, isMarinaError } from '../errors.ts';
import { runChecked } from '../run-command.ts';
import { ancestorsOf, baseOf, parentOf } from './layer-paths.ts';

/** tar-stream's header; it decodes PAX records into strings. */
export type EntryHeader = Omit<tar.Header, 'pax'> & { pax?: Record<string, string> | null };

/** An entry's contents as tar-stream hands them over. */
export type EntryBody = AsyncIterable<Uint8Array>;

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Hands each entry of the tar stream `source` to `onEntry`, in order; returns the number of entries.
 * A MarinaError from `onEntry` passes as it is, a file-system error becomes an Internal one, and
 * anything else means the stream is not a tar archive: `unreadable` words that refusal.
 */
export async function readTarEntries(
  source: Readable,
  onEntry: (header: EntryHeader, body: EntryBody) => Promise<void>,
  unreadable: (err: Error) => MarinaError,
): Promise<number> {
  const extract = tar.extract();
  const reading = pipeline(source, extract);
  // Observed below; without this an early failure of the writer would leave the rejection unhandled.
  reading.catch(() => {});
  let entries = 0;
  try {
    for await (const entry of extract) {
      entries += 1;
      // streamx readables are async iterable at run time; its type declarations just do not say so.
      await onEntry(entry.header as EntryHeader, entry as unknown as EntryBody);
      entry.resume();
    }
    await reading;
  } catch (err) {
    source.destroy();
    extract.destroy();
    await reading.catch(() => {});
    if (isMarinaError(err)) throw err;
    if (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string') throw asMarinaError(err);
    throw unreadable(err as Error);
  }
  return entries;
}

/** Where entries land. Paths are normalized and relative to the extraction root. */
export interface ExtractTree {
  /** The host path of the directory `dir` ('' for the root), made with its missing parents; `name` is the entry, for refusals. */
  directory(dir: string, name: string): Promise<string>;
  /** The host path of the file `target` that the hard link `name` (to `linkname`) links to; refuses anything but a file already there. */
  linkSource(target: string, name: string, linkname: string): Promise<string>;
  /** A directory entry now stands at `path`. */
  madeDirectory(path: string): void;
  /** `path` and everything below it were removed: what was learnt about them no longer holds. */
  forget(path: string): void;
}

/** What the caller decides about entries. */
export interface ExtractPolicy {
  /** The owner an entry gets; undefined leaves the one it was created with (the process's). */
  owner(header: EntryHeader): Owner | undefined;
  /** The normalized path a hard link's `linkname` names; throws when it names nothing the archive may link to. */
  linkTarget(linkname: string, name: string): string;
  /** Throws when a symlink at `path` to `linkname` is not acceptable; by default any target is kept as it is. */
  checkSymlink?(path: string, linkname: string, name: string): void;
  /** Throws when the device node or fifo `header` may not be created at `path`. */
  checkSpecialFile(path: string, header: EntryHeader): void;
  /** The refusal of an entry whose tar type is none of those handled. */
  unsupported(name: string, type: string): MarinaError;
  /** Called after `path` and everything below it were removed, for what the caller remembers about them. */
  removed?(path: string): void;
}

export async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export class TarExtractor {
  readonly #tree: ExtractTree;
  readonly #policy: ExtractPolicy;
  /**
   * Directory modes and mtimes are set last: a read-only directory would refuse its own children (when
   * not root), a setgid one would hand its group to them, and creating children changes the mtime.
   */
  readonly #dirs = new Map<string, { host: string; mode: number; mtime: Date }>();

  constructor(tree: ExtractTree, policy: ExtractPolicy) {
    this.#tree = tree;
    this.#policy = policy;
  }

  /** Extracts one entry at the normalized, non-empty `path`. */
  async entry(path: string, header: EntryHeader, body: EntryBody): Promise<void> {
    const name = header.name;
    const abs = join(await this.#tree.directory(parentOf(path), name), baseOf(path));
    const isDirectory = header.type === 'directory';
    const mode = (header.mode ?? (isDirectory ? 0o755 : 0o644)) & 0o7777;
    const mtime = header.mtime ?? new Date(0);
    const owner = this.#policy.owner(header);
    switch (header.type) {
      case 'directory': {
        const existing = await lstatOrUndefined(abs);
        if (!existing?.isDirectory()) {
          if (existing) await this.remove(path, abs);
          await mkdir(abs, 0o700);
        }
        this.#tree.madeDirectory(path);
        if (owner) await lchown(abs, owner.uid, owner.gid);
        this.#dirs.set(path, { host: abs, mode, mtime });
        return;
      }
      case 'file':
      case 'contiguous-file':
      case null:
      case undefined:
        await this.#replacing(path, abs, () => writeFile(abs, body, owner, mode, mtime));
        return;
      case 'symlink': {
        const linkname = header.linkname ?? '';
        this.#policy.checkSymlink?.(path, linkname, name);
        await this.#replacing(path, abs, () => symlink(linkname, abs));
        if (owner) await lchown(abs, owner.uid, owner.gid);
        await lutimes(abs, mtime, mtime);
        return;
      }
      case 'link': {
        const linkname = header.linkname ?? '';
        const target = this.#policy.linkTarget(linkname, name);
        const source = await this.#tree.linkSource(target, name, linkname);
        if (target === path) return;
        // link(2) does not follow a symlink in the source, so this links the symlink itself, as tar means it.
        await this.#replacing(path, abs, () => link(source, abs));
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        this.#policy.checkSpecialFile(path, header);
        await this.remove(path, abs);
        // Node has no mknod; special files are rare enough for a process each.
        const kind = header.type === 'fifo' ? ['p'] : [header.type === 'character-device' ? 'c' : 'b', String(header.devmajor ?? 0), String(header.devminor ?? 0)];
        await runChecked('mknod', ['-m', mode.toString(8), '--', abs, ...kind]);
        if (owner) await lchown(abs, owner.uid, owner.gid);
        // After chown, which clears setuid/setgid.
        await chmod(abs, mode);
        await lutimes(abs, mtime, mtime);
        return;
      }
      default:
        throw this.#policy.unsupported(name, String(header.type));
    }
  }

  /** Removes what is at `path` (host path `abs`), a directory with its contents. */
  async remove(path: string, abs: string): Promise<void> {
    const stats = await lstatOrUndefined(abs);
    if (!stats) return;
    // Directory modes are applied only by finish(), so everything below is still writable here.
    if (stats.isDirectory()) await rm(abs, { recursive: true, force: true });
    else await unlink(abs);
    this.#tree.forget(path);
    const below = `${path}/`;
    for (const dir of this.#dirs.keys()) if (dir === path || dir.startsWith(below)) this.#dirs.delete(dir);
    this.#policy.removed?.(path);
  }

  /** Sets the directories' modes and mtimes, deepest first so that setting one does not disturb its parent. */
  async finish(): Promise<void> {
    const deepestFirst = [...this.#dirs].sort(([a], [b]) => b.split('/').length - a.split('/').length);
    for (const [, { host, mode, mtime }] of deepestFirst) {
      await chmod(host, mode);
      await lutimes(host, mtime, mtime);
    }
  }

  /**
   * Creates `path` with `create`, which must fail with EEXIST when something is already there; that is then
   * replaced. Trying first saves an lstat per entry: archives rarely repeat a path.
   */
  async #replacing(path: string, abs: string, create: () => Promise<void>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await this.remove(path, abs);
      await create();
    }
  }
}

async function writeFile(abs: string, body: EntryBody, owner: Owner | undefined, mode: number, mtime: Date): Promise<void> {
  const file = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    for await (const chunk of body) await file.write(chunk);
    if (owner) await file.chown(owner.uid, owner.gid);
    // After chown, which clears setuid/setgid.
    await file.chmod(mode);
    await file.utimes(mtime, mtime);
  } finally {
    await file.close();
  }
}

/** Why LexicalTree refuses a hard link: its file is missing, has a parent that is no directory, or is a directory. */
export type LinkRefusal = { reason: 'missing' } | { reason: 'parent-not-directory'; parent: string } | { reason: 'directory' };

export interface LexicalTreeMessages {
  /** `name` needs `path` to be a directory, but a symlink or a file is there. */
  notADirectory(name: string, path: string, isSymlink: boolean): MarinaError;
  linkRefused(name: string, linkname: string, refusal: LinkRefusal): MarinaError;
}

/**
 * A tree under one host directory where no symlink is ever followed: every parent is lstat'ed and must
 * be a real directory; missing ones are made 0755. Directories known to be real are remembered, which
 * saves an lstat per parent per entry.
 */
export class LexicalTree implements ExtractTree {
  readonly #root: string;
  readonly #messages: LexicalTreeMessages;
  readonly #knownDirs = new Set<string>(['']);

  constructor(root: string, messages: LexicalTreeMessages) {
    this.#root = root;
    this.#messages = messages;
  }

  host(path: string): string {
    return path === '' ? this.#root : join(this.#root, path);
  }

  async directory(dir: string, name: string): Promise<string> {
    for (const ancestor of ancestorsOf(dir)) await this.#ensureDirectoryAt(ancestor, name);
    await this.#ensureDirectoryAt(dir, name);
    return this.host(dir);
  }

  async #ensureDirectoryAt(path: string, name: string): Promise<void> {
    if (this.#knownDirs.has(path)) return;
    const stats = await lstatOrUndefined(this.host(path));
    if (stats === undefined) await mkdir(this.host(path), { mode: 0o755 });
    else if (!stats.isDirectory()) throw this.#messages.notADirectory(name, path, stats.isSymbolicLink());
    this.#knownDirs.add(path);
  }

  async linkSource(target: string, name: string, linkname: string): Promise<string> {
    // link(2) would follow a symlink among the target's parents, so every parent must be a real directory.
    for (const ancestor of ancestorsOf(target)) {
      if (this.#knownDirs.has(ancestor)) continue;
      const stats = await lstatOrUndefined(this.host(ancestor));
      if (!stats) throw this.#messages.linkRefused(name, linkname, { reason: 'missing' });
      if (!stats.isDirectory()) throw this.#messages.linkRefused(name, linkname, { reason: 'parent-not-directory', parent: ancestor });
      this.#knownDirs.add(ancestor);
    }
    const stats = target === '' ? undefined : await lstatOrUndefined(this.host(target));
    if (!stats) throw this.#messages.linkRefused(name, linkname, { reason: 'missing' });
    if (stats.isDirectory()) throw this.#messages.linkRefused(name, linkname, { reason: 'directory' });
    return this.host(target);
  }

  madeDirectory(path: string): void {
    this.#knownDirs.add(path);
  }

  forget(path: string): void {
    const below = `${path}/`;
    for (const dir of this.#knownDirs) if (dir === path || dir.startsWith(below)) this.#knownDirs.delete(dir);
  }
}
