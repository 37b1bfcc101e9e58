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
 * The extraction itself is tar-extract.ts's, shared with the builder; this module adds what only layers
 * have: whiteouts, opaque directories, xattrs, owners, and devices refused outside dev/.
 *
 * On refusal the function throws and leaves a partly written directory: the caller unpacks into a temporary
 * directory and deletes it, so a refused layer is never visible.
 */
import { link } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { MarinaError, invalid } from '../errors.ts';
import { deviceAllowedAt, normalizeLayerPath, parentOf, whiteoutMeaning } from './layer-paths.ts';
import { runChecked, runCommand } from '../run-command.ts';
import { type EntryBody, type EntryHeader, type LinkRefusal, LexicalTree, type Owner, readTarEntries, TarExtractor } from './tar-extract.ts';
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
  const writer = new LayerWriter(root);
  const entries = await readTarEntries(
    layer,
    (header, body) => writer.apply(header, body),
    (err) => new MarinaError('Invalid', `layer is not a readable tar archive: ${err.message}`, { cause: err }),
  );
  await writer.finish();
  return { entries, skippedXattrs: writer.skippedXattrs };
}

function quoted(name: string): string {
  return JSON.stringify(name);
}

const ownUid = process.getuid?.() ?? 0;
const ownGid = process.getgid?.() ?? 0;

/** Refusals of the layer's tree: nothing is written through a symlink, and hard links stay in this layer. */
const layerTreeMessages = {
  notADirectory: (name: string, path: string, isSymlink: boolean) =>
    isSymlink
      ? invalid(`layer entry ${quoted(name)} writes through the symlink ${quoted(path)}; a layer may not write outside itself`)
      : invalid(`layer entry ${quoted(name)} needs ${quoted(path)} to be a directory, but the layer has a file there`),
  linkRefused: (name: string, linkname: string, refusal: LinkRefusal) => {
    switch (refusal.reason) {
      case 'missing':
        return invalid(
          `layer entry ${quoted(name)} is a hard link to ${quoted(linkname)}, which is not in this layer (links into lower layers are not supported)`,
        );
      case 'parent-not-directory':
        return invalid(
          `layer entry ${quoted(name)} is a hard link to ${quoted(linkname)}, whose parent ${quoted(refusal.parent)} is not a directory of this layer`,
        );
      case 'directory':
        return invalid(`layer entry ${quoted(name)} is a hard link to the directory ${quoted(linkname)}`);
    }
  },
};

class LayerWriter {
  readonly #tree: LexicalTree;
  readonly #extractor: TarExtractor;
  readonly #xattrs = new Map<string, Xattr[]>();
  readonly #opaqueDirs = new Set<string>();
  /**
   * An overlay whiteout already created in this layer: later whiteouts are hard links to it, because
   * creating each one with mknod would cost a process spawn per deleted file.
   */
  #whiteoutTemplate: string | undefined;
  readonly skippedXattrs: SkippedXattr[] = [];

  constructor(root: string) {
    this.#tree = new LexicalTree(root, layerTreeMessages);
    this.#extractor = new TarExtractor(this.#tree, {
      owner: layerOwner,
      linkTarget: (linkname, name) => {
        try {
          return normalizeLayerPath(linkname);
        } catch {
          throw invalid(`layer entry ${quoted(name)} is a hard link to ${quoted(linkname)}, which escapes the layer root`);
        }
      },
      checkSpecialFile: (path, header) => {
        if (header.type !== 'fifo' && !deviceAllowedAt(path)) {
          throw invalid(`layer entry ${quoted(header.name)} is a device node outside dev/; images may only ship devices in /dev`);
        }
      },
      unsupported: (name, type) => invalid(`layer entry ${quoted(name)} has tar type ${type}, which a layer cannot contain`),
      removed: (path) => this.#forget(path),
    });
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
      await this.#tree.directory(whiteout.dir, name);
      this.#opaqueDirs.add(whiteout.dir);
      return;
    }
    if (whiteout?.kind === 'whiteout') {
      await this.#tree.directory(parentOf(whiteout.path), name);
      const abs = this.#tree.host(whiteout.path);
      await this.#extractor.remove(whiteout.path, abs);
      await this.#makeWhiteout(whiteout.path, abs);
      return;
    }
    await this.#extractor.entry(path, header, body);
    const { keep, skipped } = xattrsFromPax(path, header.pax);
    if (keep.length > 0) this.#xattrs.set(path, keep);
    this.skippedXattrs.push(...skipped);
  }

  /** Sets what must wait for the whole layer: directory modes and mtimes, then all xattrs. */
  async finish(): Promise<void> {
    await this.#extractor.finish();
    await this.#restoreXattrs(new Map([...this.#opaqueDirs].map((dir) => [dir || '.', [opaqueXattr]])), false);
    await this.#restoreXattrs(this.#xattrs, true);
  }

  /** Drops what was remembered about `path` and everything below it. */
  #forget(path: string): void {
    const below = `${path}/`;
    const gone = (p: string) => p === path || p.startsWith(below);
    for (const dir of this.#opaqueDirs) if (gone(dir)) this.#opaqueDirs.delete(dir);
    for (const p of this.#xattrs.keys()) if (gone(p)) this.#xattrs.delete(p);
    if (this.#whiteoutTemplate !== undefined && gone(this.#whiteoutTemplate)) this.#whiteoutTemplate = undefined;
  }

  async #makeWhiteout(path: string, abs: string): Promise<void> {
    if (this.#whiteoutTemplate !== undefined) {
      await link(this.#tree.host(this.#whiteoutTemplate), abs);
      return;
    }
    await runChecked('mknod', ['-m', '000', '--', abs, 'c', '0', '0']);
    this.#whiteoutTemplate = path;
  }

  async #restoreXattrs(entries: ReadonlyMap<string, readonly Xattr[]>, tolerateUnsupported: boolean): Promise<void> {
    if (entries.size === 0) return;
    const result = await runCommand('setfattr', ['-h', '--restore=-'], { cwd: this.#tree.host(''), input: buildXattrDump(entries) });
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

/** The header's owner; none when it is the process's own, which the entry has already: saves a chown per entry. */
function layerOwner(header: EntryHeader): Owner | undefined {
  const uid = header.uid ?? 0;
  const gid = header.gid ?? 0;
  return uid === ownUid && gid === ownGid ? undefined : { uid, gid };
}

const opaqueXattr: Xattr = { name: 'trusted.overlay.opaque', value: Buffer.from('y') };
