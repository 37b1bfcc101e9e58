/**
 * ADD's unpacking of a local tar archive into a directory of the rootfs, as Docker does it: entries keep
 * the archive's mode, mtime and owner (the owner replaced by --chown), an entry replaces what is there
 * (a directory stays and takes the entry's metadata), and nothing may point outside the destination:
 * names and hard links that climb out with `..` and symlinks whose relative target climbs out are
 * refused. An absolute name lands inside the destination and an absolute link target is left for the
 * container to resolve, as with Docker (which unpacks in a chroot). Parents are resolved with
 * resolveInRoot, so a link the archive itself made is followed inside the rootfs, never on the host.
 */
import { constants } from 'node:fs';
import { link, mkdir, open, rm, symlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { MarinaError, invalid, isMarinaError } from '../../errors.ts';
import { normalizeLayerPath } from '../../snapshot/layer-paths.ts';
import { resolveInRoot } from '../fs/resolve-in-root.ts';
import { type EntryMetadata, lstatOrUndefined, makeSpecialFile, type Owner, type RootfsWriter } from './rootfs-writer.ts';

/** Unpacks the uncompressed tar stream `archive` into the directory `dest` (absolute in the image), which exists. */
export async function extractArchive(writer: RootfsWriter, archive: Readable, dest: string, chown: Owner | undefined): Promise<void> {
  const extract = tar.extract();
  const reading = pipeline(archive, extract);
  // Observed below; without this an early failure of the writer would leave the rejection unhandled.
  reading.catch(() => {});
  const unpacker = new Unpacker(writer, dest, chown);
  try {
    for await (const entry of extract) {
      // streamx readables are async iterable at run time; its type declarations just do not say so.
      await unpacker.apply(entry.header, entry as unknown as AsyncIterable<Uint8Array>);
      entry.resume();
    }
    await reading;
  } catch (err) {
    archive.destroy();
    extract.destroy();
    await reading.catch(() => {});
    if (isMarinaError(err) || typeof (err as NodeJS.ErrnoException).syscall === 'string') throw err;
    throw new MarinaError('Invalid', `ADD could not read the archive: ${(err as Error).message}; check that it is a complete tar file`, {
      cause: err,
    });
  }
  await unpacker.finishDirectories();
}

class Unpacker {
  readonly #writer: RootfsWriter;
  readonly #dest: string;
  readonly #chown: Owner | undefined;
  /** Host paths of parent directories already resolved; dropped whenever a link or directory changes. */
  readonly #parents = new Map<string, string>();
  /** Directory mode and times are set last: creating their children would change them again. */
  readonly #directories = new Map<string, EntryMetadata>();

  constructor(writer: RootfsWriter, dest: string, chown: Owner | undefined) {
    this.#writer = writer;
    this.#dest = dest;
    this.#chown = chown;
  }

  async apply(header: tar.Header, body: AsyncIterable<Uint8Array>): Promise<void> {
    const relativePath = this.#inside(header.name, header.name);
    // The archive's own root (`./`) leaves the destination as it is, like Docker.
    if (relativePath === '') return;
    const target = join(await this.#parent(posix.dirname(relativePath)), posix.basename(relativePath));
    const existing = await lstatOrUndefined(target);
    if (existing && !(existing.isDirectory() && header.type === 'directory')) {
      await rm(target, { recursive: true, force: true });
      if (existing.isDirectory()) this.#parents.clear();
    }
    const metadata: EntryMetadata = {
      owner: this.#chown ?? { uid: header.uid ?? 0, gid: header.gid ?? 0 },
      mode: (header.mode ?? 0o644) & 0o7777,
      atime: undefined,
      mtime: (header.mtime ?? new Date(0)).getTime() / 1000,
    };
    switch (header.type) {
      case 'directory':
        if (!existing) await mkdir(target, 0o700);
        await this.#writer.finish(target, { ...metadata, mode: undefined, mtime: undefined }, false);
        this.#directories.set(target, metadata);
        break;
      case 'file':
      case 'contiguous-file':
      case null:
      case undefined: {
        // O_EXCL refuses whatever appeared at the name since it was cleared, a link included.
        const file = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) await file.write(chunk);
        } finally {
          await file.close();
        }
        await this.#writer.finish(target, metadata, false);
        break;
      }
      case 'symlink': {
        const linkname = header.linkname ?? '';
        if (!linkname.startsWith('/')) this.#inside(`${posix.dirname(relativePath)}/${linkname}`, header.name);
        await symlink(linkname, target);
        this.#parents.clear();
        await this.#writer.finish(target, metadata, true);
        break;
      }
      case 'link':
        await this.#hardLink(target, header.name, header.linkname ?? '');
        break;
      case 'fifo':
      case 'character-device':
      case 'block-device':
        await makeSpecialFile(target, header.type, header.devmajor ?? 0, header.devminor ?? 0);
        await this.#writer.finish(target, metadata, false);
        break;
      default:
        throw invalid(`ADD cannot unpack the archive entry ${JSON.stringify(header.name)} of tar type ${String(header.type)}`);
    }
  }

  /** Sets the directories' mode and times, deepest first so that setting one does not disturb its parent. */
  async finishDirectories(): Promise<void> {
    const deepestFirst = [...this.#directories].sort(([a], [b]) => b.split('/').length - a.split('/').length);
    for (const [target, metadata] of deepestFirst) {
      await this.#writer.finish(target, metadata, false);
    }
  }

  /** `path` relative to the destination, refusing a `..` that climbs out of it. */
  #inside(path: string, entryName: string): string {
    try {
      return normalizeLayerPath(path);
    } catch {
      throw invalid(
        `ADD refuses the archive: its entry ${JSON.stringify(entryName)} points outside the destination directory (through "..")`,
      );
    }
  }

  async #parent(relativeDir: string): Promise<string> {
    const inImage = posix.join(this.#dest, relativeDir);
    let host = this.#parents.get(inImage);
    if (host === undefined) {
      host = await this.#writer.makeDirectories(inImage);
      this.#parents.set(inImage, host);
    }
    return host;
  }

  async #hardLink(target: string, entryName: string, linkname: string): Promise<void> {
    const source = await resolveInRoot(this.#writer.rootfs, posix.join(this.#dest, this.#inside(linkname, entryName)), {
      followFinal: false,
    });
    const stats = await lstatOrUndefined(source);
    if (!stats || stats.isDirectory()) {
      throw invalid(
        `ADD refuses the archive: its entry ${JSON.stringify(entryName)} is a hard link to ${JSON.stringify(linkname)}, which is not a file the archive unpacked before it`,
      );
    }
    await link(source, target);
  }
}
