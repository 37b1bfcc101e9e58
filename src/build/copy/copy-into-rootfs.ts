/**
 * COPY and ADD into a stage's root filesystem, with BuildKit's semantics: a file goes to the destination
 * (inside it when the destination is a directory), a directory's contents are merged into the
 * destination, files keep their permission bits and times, the owner is --chown's or root, and ADD
 * unpacks a local tar archive instead of copying it.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { invalid } from '../../errors.ts';
import { resolveInRoot } from '../../rootfs/resolve-in-root.ts';
import type { SourceTree } from '../context/source-tree.ts';
import { type SourceMatch, walkMatch } from '../context/sources.ts';
import { archiveCompression, openDecompressed } from './archive-reader.ts';
import { Bounded } from './bounded.ts';
import { checkSourceCount, parseDestination } from './destination.ts';
import { extractArchive } from '../../rootfs/extract-archive.ts';
import { type Destination, type EntryMetadata, lstatOrUndefined, type Owner, RootfsWriter } from '../../rootfs/rootfs-writer.ts';

export interface CopyOptions {
  /** As written, variables already expanded. */
  dest: string;
  /** The stage's WORKDIR (absolute), for a relative dest. */
  workdir: string;
  /** --chown resolved by the caller; default 0:0. */
  owner?: { uid: number; gid: number };
  /** --chmod, applied to the files and directories copied. */
  mode?: number;
  /** ADD: a local tar (plain, gzip, bzip2, xz) source is unpacked into dest instead of copied. */
  extractArchives: boolean;
}

/** Files copied at once: enough to keep libuv's thread pool busy, few enough to stay far from fd limits. */
const copyConcurrency = 32;

const root: Owner = { uid: 0, gid: 0 };

/** COPY/ADD of context or rootfs sources into `rootfs` (a mounted directory). */
export async function copyIntoRootfs(rootfs: string, tree: SourceTree, matches: SourceMatch[], options: CopyOptions): Promise<void> {
  const destination = parseDestination(options.dest, options.workdir);
  checkSourceCount(matches.length, destination, options.extractArchives ? 'ADD' : 'COPY');
  const writer = new RootfsWriter(rootfs, options.owner ?? root);
  for (const match of matches) {
    if (match.isDirectory) await copyDirectory(writer, tree, match, destination, options);
    else await copyFileMatch(writer, tree, match, destination, options);
  }
}

/** A file match: copied to (or into) the destination, or, for ADD of a tar archive, unpacked into it. */
async function copyFileMatch(writer: RootfsWriter, tree: SourceTree, match: SourceMatch, destination: Destination, options: CopyOptions) {
  for await (const entry of walkMatch(tree, match)) {
    const compression = options.extractArchives && entry.stats.isFile() ? await archiveCompression(entry.path) : undefined;
    if (compression !== undefined) {
      const dest = await writer.makeDirectories(destination.path);
      await extractArchive(writer, openDecompressed(entry.path, compression), writer.inImage(dest), options.owner);
      continue;
    }
    const target = await writer.fileTarget(destination, posix.basename(match.relative));
    await writer.copyEntry(entry.path, entry.stats, target, options.mode, writer.owner);
  }
}

/** Copies the directory's contents into the destination, which is created (with the directory's metadata) when missing. */
async function copyDirectory(
  writer: RootfsWriter,
  tree: SourceTree,
  match: SourceMatch,
  destination: Destination,
  options: CopyOptions,
): Promise<void> {
  const { host: top, created } = await directoryTarget(writer, destination);
  /** Directory metadata is applied last: copying into a directory changes its mtime. */
  const directories: [string, EntryMetadata][] = [];
  const copies = new Bounded(copyConcurrency);
  try {
    for await (const entry of walkMatch(tree, match)) {
      const target = entry.relative === '' ? top : join(top, entry.relative);
      if (!entry.stats.isDirectory()) {
        await copies.run(() => writer.copyEntry(entry.path, entry.stats, target, options.mode, writer.owner));
        continue;
      }
      // An existing destination keeps its own metadata; directories below it take the source's, as in BuildKit.
      if (entry.relative !== '') await writer.ensureDirectory(target);
      else if (!created) continue;
      const { stats } = entry;
      directories.push([
        target,
        { owner: writer.owner, mode: options.mode ?? stats.mode & 0o7777, atime: stats.atimeMs / 1000, mtime: stats.mtimeMs / 1000 },
      ]);
    }
  } catch (err) {
    // Let the copies under way end before reporting: the caller may delete the rootfs next.
    await copies.drain().catch(() => {});
    throw err;
  }
  await copies.drain();
  for (const [target, metadata] of directories.reverse()) await writer.finish(target, metadata, false);
}

/** The host directory a directory source is merged into, following a link at the destination inside the rootfs. */
async function directoryTarget(writer: RootfsWriter, destination: Destination): Promise<{ host: string; created: boolean }> {
  if (destination.isDirectory) return { host: await writer.makeDirectories(destination.path), created: false };
  const host = await resolveInRoot(writer.rootfs, destination.path);
  const stats = await lstatOrUndefined(host);
  if (stats?.isDirectory()) return { host, created: false };
  if (stats) {
    throw invalid(`cannot copy a directory to ${destination.path}: the image has a file there; choose another destination`);
  }
  await writer.makeDirectories(posix.dirname(writer.inImage(host)));
  return { host, created: await writer.ensureDirectory(host) };
}

/** COPY <<EOF /dest: writes a file (mode 0644, or options.mode) with `content`; dest semantics as COPY of a file named `name`. */
export async function writeHeredocFile(rootfs: string, name: string, content: string, options: CopyOptions): Promise<void> {
  await writeNewFile(rootfs, name, options, 0o644, undefined, async (file) => {
    await file.writeFile(content);
  });
}

/** The file handle a new file's contents are written through. */
export type NewFile = Awaited<ReturnType<typeof open>>;

/**
 * Creates the file COPY of a file called `name` would create, writes it with `write`, and gives it the
 * owner, `options.mode` (else `defaultMode`) and, when given, the mtime.
 */
export async function writeNewFile(
  rootfs: string,
  name: string,
  options: CopyOptions,
  defaultMode: number,
  mtime: number | undefined,
  write: (file: NewFile) => Promise<void>,
): Promise<void> {
  const writer = new RootfsWriter(rootfs, options.owner ?? root);
  const target = await writer.fileTarget(parseDestination(options.dest, options.workdir), name);
  await writer.replacing(target, async () => {
    // O_EXCL also refuses a symlink at the name: the content never goes through a link.
    const file = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await write(file);
    } finally {
      await file.close();
    }
  });
  await writer.finish(target, { owner: writer.owner, mode: options.mode ?? defaultMode, atime: undefined, mtime }, false);
}
