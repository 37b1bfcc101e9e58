/**
 * Unpacking a tar archive into a directory of a rootfs (ADD of a local archive, `docker cp` into a
 * container), as Docker does it: entries keep
 * the archive's mode, mtime and owner (the owner replaced by --chown), an entry replaces what is there
 * (a directory stays and takes the entry's metadata), and nothing may point outside the destination:
 * names and hard links that climb out with `..` and symlinks whose relative target climbs out are
 * refused. An absolute name lands inside the destination and an absolute link target is left for the
 * container to resolve, as with Docker (which unpacks in a chroot). Parents are resolved with
 * resolveInRoot, so a link the archive itself made is followed inside the rootfs, never on the host.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { MarinaError, invalid } from '../errors.ts';
import { normalizeLayerPath } from '../snapshot/layer-paths.ts';
import { type ExtractTree, readTarEntries, TarExtractor } from '../snapshot/tar-extract.ts';
import { resolveInRoot } from './resolve-in-root.ts';
import { lstatOrUndefined, type Owner, type RootfsWriter } from './rootfs-writer.ts';

/** Unpacks the uncompressed tar stream `archive` into the directory `dest` (absolute in the image), which exists. */
export async function extractArchive(writer: RootfsWriter, archive: Readable, dest: string, chown: Owner | undefined): Promise<void> {
  const extractor = new TarExtractor(new InRootTree(writer, dest), {
    owner: (header) => chown ?? { uid: header.uid ?? 0, gid: header.gid ?? 0 },
    linkTarget: inside,
    checkSymlink: (path, linkname, name) => {
      if (!linkname.startsWith('/')) inside(`${posix.dirname(path)}/${linkname}`, name);
    },
    checkSpecialFile: () => {},
    unsupported: (name, type) => invalid(`ADD cannot unpack the archive entry ${JSON.stringify(name)} of tar type ${type}`),
  });
  await readTarEntries(
    archive,
    async (header, body) => {
      const path = inside(header.name, header.name);
      // The archive's own root (`./`) leaves the destination as it is, like Docker.
      if (path !== '') await extractor.entry(path, header, body);
    },
    (err) =>
      new MarinaError('Invalid', `ADD could not read the archive: ${err.message}; check that it is a complete tar file`, { cause: err }),
  );
  await extractor.finish();
}

/** `path` relative to the destination, refusing a `..` that climbs out of it. */
function inside(path: string, entryName: string): string {
  try {
    return normalizeLayerPath(path);
  } catch {
    throw invalid(
      `ADD refuses the archive: its entry ${JSON.stringify(entryName)} points outside the destination directory (through "..")`,
    );
  }
}

/** The destination inside a rootfs: parents are resolved with resolveInRoot, links followed but kept in the rootfs. */
class InRootTree implements ExtractTree {
  readonly #writer: RootfsWriter;
  readonly #dest: string;
  /** Host paths of parent directories already resolved; dropped whenever something is removed. */
  readonly #parents = new Map<string, string>();

  constructor(writer: RootfsWriter, dest: string) {
    this.#writer = writer;
    this.#dest = dest;
  }

  async directory(dir: string): Promise<string> {
    const inImage = posix.join(this.#dest, dir);
    let host = this.#parents.get(inImage);
    if (host === undefined) {
      host = await this.#writer.makeDirectories(inImage);
      this.#parents.set(inImage, host);
    }
    return host;
  }

  async linkSource(target: string, name: string, linkname: string): Promise<string> {
    const source = await resolveInRoot(this.#writer.rootfs, posix.join(this.#dest, target), { followFinal: false });
    const stats = await lstatOrUndefined(source);
    if (!stats || stats.isDirectory()) {
      throw invalid(
        `ADD refuses the archive: its entry ${JSON.stringify(name)} is a hard link to ${JSON.stringify(linkname)}, which is not a file the archive unpacked before it`,
      );
    }
    return source;
  }

  madeDirectory(): void {}

  /** A removed directory, or a link replacing one, may change where any cached path resolves. */
  forget(): void {
    this.#parents.clear();
  }
}
