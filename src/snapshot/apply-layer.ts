/**
 * Applies one image layer (an uncompressed tar stream) to an empty directory, in overlayfs form, so the
 * directory can be stacked as a lowerdir:
 * - whiteouts (`.wh.NAME`) become 0/0 character devices named NAME, opaque markers (`.wh..wh..opq`) the
 *   xattr `trusted.overlay.opaque=y` on their directory;
 * - regular files, directories, symlinks, hard links, fifos and device nodes keep mode (setuid, setgid,
 *   sticky included), owner and mtime; xattrs from PAX `SCHILY.xattr.*` records are kept (see xattrs.ts
 *   for which are skipped and why);
 * - nothing is ever written outside the directory: names are normalized and must stay inside it, no entry
 *   is created through a symlink (every parent is lstat'ed, never followed), hard links must point to a file
 *   this same layer already holds, and device nodes are only accepted under dev/.
 *
 * Hard links to files of lower layers: the tar format can only link to entries of the same archive, and
 * Docker never writes such links, so they are refused rather than resolved by copying from lower layers.
 *
 * On refusal the function throws and leaves a partly written directory: the caller unpacks into a temporary
 * directory and deletes it, so a refused layer is never visible.
 */
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { MarinaError, asMarinaError, invalid, isMarinaError } from '../errors.ts';
import { ancestorsOf, deviceAllowedAt, normalizeLayerPath, whiteoutMeaning } from './layer-paths.ts';
import { runChecked, runCommand } from '../run-command.ts';
import {
  buildXattrDump,
  isToleratedXattrFailure,
  parseSetfattrErrors,
  type SkippedXattr,
  type Xattr,
  xattrsFromPax,
} from './xattrs.ts';

export interface ApplyLayerResult {
  /** Tar entries read, whiteouts included. */
  entries: number;
  /** Attributes present in the layer but not applied, with the reason. */
  skippedXattrs: SkippedXattr[];
}

/** Applies the tar stream `layer` to the existing, empty directory `root`. */
export async function applyLayer(layer: Readable, root: string): Promise<ApplyLayerResult> {
  const extract = tar.extract();
  const reading = pipeline(layer, extract);
  // Observed below; without this an early failure of the writer would leave the rejection unhandled.
  reading.catch(() => {});
  const writer = new LayerWriter(root);
  let entries = 0;
  try {
    for await (const entry of extract) {
      entries += 1;
      // streamx readables are async iterable at run time; its type declarations just do not say so.
      await writer.apply(entry.header as EntryHeader, entry as unknown as EntryBody);
      entry.resume();
    }
    await reading;
  } catch (err) {
    layer.destroy();
    extract.destroy();
    await reading.catch(() => {});
    if (isMarinaError(err)) throw err;
    if (isFileSystemError(err)) throw asMarinaError(err);
    throw new MarinaError('Invalid', `layer is not a readable tar archive: ${(err as Error).message}`, { cause: err });
  }
  await writer.finish();
  return { entries, skippedXattrs: writer.skippedXattrs };
}

/** tar-stream's header; it decodes PAX records into strings. */
type EntryHeader = Omit<tar.Header, 'pax'> & { pax?: Record<string, string> | null };

/** An entry's contents as tar-stream hands them over. */
type EntryBody = AsyncIterable<Uint8Array>;

function isFileSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function quoted(name: string): string {
  return JSON.stringify(name);
}

const ownUid = process.getuid?.() ?? 0;
const ownGid = process.getgid?.() ?? 0;

class LayerWriter {
  readonly #root: string;
  /** Paths (relative to the root) known to be real directories: saves an lstat per parent per entry. */
  readonly #knownDirs = new Set<string>(['']);
  readonly #xattrs = new Map<string, Xattr[]>();
  readonly #opaqueDirs = new Set<string>();
  /** Directory mtimes are set last: creating their children would change them again. */
  readonly #dirMtimes = new Map<string, Date>();
  /**
   * An overlay whiteout already created in this layer: later whiteouts are hard links to it, because
   * creating each one with mknod would cost a process spawn per deleted file.
   */
  #whiteoutTemplate: string | undefined;
  readonly skippedXattrs: SkippedXattr[] = [];

  constructor(root: string) {
    this.#root = root;
  }

  #abs(path: string): string {
    return path === '' ? this.#root : join(this.#root, path);
  }

  async apply(header: EntryHeader, body: EntryBody): Promise<void> {
    const name = header.name;
    const path = normalizeLayerPath(name);
    if (path === '') {
      // The layer root's own metadata never shows: the container's upper directory is the merged root.
      if (header.type === 'directory') return;
      throw invalid(`layer entry ${quoted(name)} would replace the layer root with a ${header.type}`);
    }
    const whiteout = whiteoutMeaning(path);
    if (whiteout?.kind === 'ignore') return;
    if (whiteout?.kind === 'opaque') {
      await this.#ensureDirectory(whiteout.dir, name);
      this.#opaqueDirs.add(whiteout.dir);
      return;
    }
    if (whiteout?.kind === 'whiteout') {
      await this.#ensureParents(whiteout.path, name);
      await this.#removeExisting(whiteout.path);
      await this.#makeWhiteout(whiteout.path);
      return;
    }

    await this.#ensureParents(path, name);
    const abs = this.#abs(path);
    const mode = (header.mode ?? 0o644) & 0o7777;
    const mtime = header.mtime ?? new Date(0);
    switch (header.type) {
      case 'directory': {
        const existing = await lstatOrUndefined(abs);
        if (!existing?.isDirectory()) {
          if (existing) await this.#removeExisting(path);
          await mkdir(abs);
        }
        this.#knownDirs.add(path);
        await this.#setOwnerAndMode(abs, header, mode);
        this.#dirMtimes.set(path, mtime);
        break;
      }
      case 'file':
      case 'contiguous-file':
      case null:
      case undefined:
        await this.#replacing(path, () => this.#writeFile(abs, body, header, mode, mtime));
        break;
      case 'symlink':
        await this.#replacing(path, () => symlink(header.linkname ?? '', abs));
        await this.#setOwner(abs, header);
        await lutimes(abs, mtime, mtime);
        break;
      case 'link':
        await this.#hardLink(path, name, header.linkname ?? '');
        break;
      case 'character-device':
      case 'block-device':
        if (!deviceAllowedAt(path)) {
          throw invalid(`layer entry ${quoted(name)} is a device node outside dev/; images may only ship devices in /dev`);
        }
        await this.#removeExisting(path);
        await runChecked('mknod', [
          '-m',
          mode.toString(8),
          '--',
          abs,
          header.type === 'character-device' ? 'c' : 'b',
          String(header.devmajor ?? 0),
          String(header.devminor ?? 0),
        ]);
        await this.#setOwnerAndMode(abs, header, mode);
        await lutimes(abs, mtime, mtime);
        break;
      case 'fifo':
        await this.#removeExisting(path);
        await runChecked('mknod', ['-m', mode.toString(8), '--', abs, 'p']);
        await this.#setOwnerAndMode(abs, header, mode);
        await lutimes(abs, mtime, mtime);
        break;
      default:
        throw invalid(`layer entry ${quoted(name)} has tar type ${String(header.type)}, which a layer cannot contain`);
    }
    const { keep, skipped } = xattrsFromPax(path, header.pax);
    if (keep.length > 0) this.#xattrs.set(path, keep);
    this.skippedXattrs.push(...skipped);
  }

  /** Sets what must wait for the whole layer: directory mtimes and all xattrs. */
  async finish(): Promise<void> {
    await this.#restoreXattrs(new Map([...this.#opaqueDirs].map((dir) => [dir || '.', [opaqueXattr]])), false);
    await this.#restoreXattrs(this.#xattrs, true);
    const deepestFirst = [...this.#dirMtimes].sort(([a], [b]) => b.split('/').length - a.split('/').length);
    for (const [path, mtime] of deepestFirst) await lutimes(this.#abs(path), mtime, mtime);
  }

  /** Creates missing parents (0755, root-owned, as Docker does) and refuses parents that are not real directories. */
  async #ensureParents(path: string, name: string): Promise<void> {
    for (const ancestor of ancestorsOf(path)) await this.#ensureDirectoryAt(ancestor, name);
  }

  async #ensureDirectory(path: string, name: string): Promise<void> {
    await this.#ensureParents(path, name);
    await this.#ensureDirectoryAt(path, name);
  }

  async #ensureDirectoryAt(path: string, name: string): Promise<void> {
    if (this.#knownDirs.has(path)) return;
    const stats = await lstatOrUndefined(this.#abs(path));
    if (stats === undefined) await mkdir(this.#abs(path), { mode: 0o755 });
    else if (stats.isSymbolicLink()) {
      throw invalid(`layer entry ${quoted(name)} writes through the symlink ${quoted(path)}; a layer may not write outside itself`);
    } else if (!stats.isDirectory()) {
      throw invalid(`layer entry ${quoted(name)} needs ${quoted(path)} to be a directory, but the layer has a file there`);
    }
    this.#knownDirs.add(path);
  }

  /**
   * Creates `path` with `create`, which must fail with EEXIST when something is already there; that is then
   * replaced. Trying first saves an lstat per entry: layers rarely repeat a path.
   */
  async #replacing(path: string, create: () => Promise<void>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await this.#removeExisting(path);
      await create();
    }
  }

  /** A later entry for the same path replaces the earlier one, except that a directory stays a directory. */
  async #removeExisting(path: string): Promise<void> {
    const abs = this.#abs(path);
    const stats = await lstatOrUndefined(abs);
    if (!stats) return;
    if (stats.isDirectory()) await rm(abs, { recursive: true, force: true });
    else await unlink(abs);
    this.#forget(path);
  }

  /** Drops what was remembered about `path` and everything below it. */
  #forget(path: string): void {
    const below = `${path}/`;
    const gone = (p: string) => p === path || p.startsWith(below);
    for (const dir of this.#knownDirs) if (gone(dir)) this.#knownDirs.delete(dir);
    for (const dir of this.#opaqueDirs) if (gone(dir)) this.#opaqueDirs.delete(dir);
    for (const p of this.#xattrs.keys()) if (gone(p)) this.#xattrs.delete(p);
    for (const p of this.#dirMtimes.keys()) if (gone(p)) this.#dirMtimes.delete(p);
    if (this.#whiteoutTemplate !== undefined && gone(this.#whiteoutTemplate)) this.#whiteoutTemplate = undefined;
  }

  async #makeWhiteout(path: string): Promise<void> {
    const abs = this.#abs(path);
    if (this.#whiteoutTemplate !== undefined) {
      await link(this.#abs(this.#whiteoutTemplate), abs);
      return;
    }
    await runChecked('mknod', ['-m', '000', '--', abs, 'c', '0', '0']);
    this.#whiteoutTemplate = path;
  }

  async #writeFile(abs: string, body: EntryBody, header: EntryHeader, mode: number, mtime: Date): Promise<void> {
    // O_EXCL with O_CREAT also refuses a symlink in the final component, so the write cannot be redirected.
    const file = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      for await (const chunk of body) await file.write(chunk);
      const uid = header.uid ?? 0;
      const gid = header.gid ?? 0;
      if (uid !== ownUid || gid !== ownGid) await file.chown(uid, gid);
      // After chown, which clears setuid/setgid; and the umask may have narrowed the mode given to open.
      await file.chmod(mode);
      await file.utimes(mtime, mtime);
    } finally {
      await file.close();
    }
  }

  async #hardLink(path: string, name: string, linkname: string): Promise<void> {
    let target: string;
    try {
      target = normalizeLayerPath(linkname);
    } catch {
      throw invalid(`layer entry ${quoted(name)} is a hard link to ${quoted(linkname)}, which escapes the layer root`);
    }
    for (const ancestor of ancestorsOf(target)) {
      if (this.#knownDirs.has(ancestor)) continue;
      const stats = await lstatOrUndefined(this.#abs(ancestor));
      if (!stats) throw this.#linkOutsideLayer(name, linkname);
      if (!stats.isDirectory()) {
        throw invalid(
          `layer entry ${quoted(name)} is a hard link to ${quoted(linkname)}, whose parent ${quoted(ancestor)} is not a directory of this layer`,
        );
      }
      this.#knownDirs.add(ancestor);
    }
    const targetStats = target === '' ? undefined : await lstatOrUndefined(this.#abs(target));
    if (!targetStats) throw this.#linkOutsideLayer(name, linkname);
    if (targetStats.isDirectory()) {
      throw invalid(`layer entry ${quoted(name)} is a hard link to the directory ${quoted(linkname)}`);
    }
    if (target === path) return;
    // link(2) does not follow a symlink in the target, so this links the symlink itself, as tar means it.
    await this.#replacing(path, () => link(this.#abs(target), this.#abs(path)));
  }

  #linkOutsideLayer(name: string, linkname: string): MarinaError {
    return invalid(
      `layer entry ${quoted(name)} is a hard link to ${quoted(linkname)}, which is not in this layer (links into lower layers are not supported)`,
    );
  }

  async #setOwner(abs: string, header: EntryHeader): Promise<void> {
    const uid = header.uid ?? 0;
    const gid = header.gid ?? 0;
    if (uid !== ownUid || gid !== ownGid) await lchown(abs, uid, gid);
  }

  async #setOwnerAndMode(abs: string, header: EntryHeader, mode: number): Promise<void> {
    await this.#setOwner(abs, header);
    await chmod(abs, mode);
  }

  async #restoreXattrs(entries: ReadonlyMap<string, readonly Xattr[]>, tolerateUnsupported: boolean): Promise<void> {
    if (entries.size === 0) return;
    const result = await runCommand('setfattr', ['-h', '--restore=-'], { cwd: this.#root, input: buildXattrDump(entries) });
    if (result.code === 0) return;
    const failures = parseSetfattrErrors(result.stderr);
    const fatal = failures.filter((f) => !tolerateUnsupported || !isToleratedXattrFailure(f));
    if (fatal.length > 0 || failures.length === 0) {
      throw new MarinaError('Internal', `setting extended attributes of the layer failed: ${result.stderr.trim()}`);
    }
    for (const failure of failures) {
      for (const x of entries.get(failure.path) ?? []) {
        this.skippedXattrs.push({ path: failure.path, name: x.name, reason: 'unsupported-by-filesystem' });
      }
    }
  }
}

const opaqueXattr: Xattr = { name: 'trusted.overlay.opaque', value: Buffer.from('y') };
