/**
 * A container's files as the host reaches them, for `cp` (the archive endpoints): stat a path, pack it as
 * a tar, unpack a tar into a directory. Every path is resolved with resolveInRoot, so a symlink in the
 * container resolves inside it and nothing reads or writes outside the container.
 *
 * A running container is reached through `/proc/<pid>/root`, which shows its whole mount namespace
 * (volumes, tmpfs, /etc/hosts…). A stopped one is its mounted snapshot plus the host sides of its bind and
 * volume mounts and of its /etc files, looked up by the longest mount target that holds the path.
 */
import type { Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { extractArchive } from '../rootfs/extract-archive.ts';
import { RootfsWriter } from '../rootfs/rootfs-writer.ts';
import { resolveInRoot } from '../rootfs/resolve-in-root.ts';
import { invalid, notFound } from '../errors.ts';
import { writeTree } from '../image/directory-tar.ts';
import { addEntry, addStream, type EntryHeader, packWith } from '../image/tar-entries.ts';
import type { ExtractOptions, PathStat } from './container-types.ts';

/** A host directory or file that stands at `target` in the container. */
export interface HostMount {
  target: string;
  source: string;
}

/** Where a container path lives on the host: the root to resolve in, and the path below it. */
export function locate(rootfs: string, mounts: readonly HostMount[], path: string): { root: string; rest: string } {
  const normalized = posix.normalize(`/${path}`);
  let best: HostMount | undefined;
  for (const m of mounts) {
    const target = posix.normalize(m.target);
    const holds = normalized === target || normalized.startsWith(target === '/' ? '/' : `${target}/`);
    if (holds && (!best || target.length > posix.normalize(best.target).length)) best = m;
  }
  if (!best) return { root: rootfs, rest: normalized };
  return { root: best.source, rest: normalized.slice(posix.normalize(best.target).length) || '/' };
}

export class ContainerFiles {
  readonly #rootfs: string;
  readonly #mounts: readonly HostMount[];
  /** The container's name, for Docker's messages. */
  readonly #container: string;

  constructor(rootfs: string, mounts: readonly HostMount[], container: string) {
    this.#rootfs = rootfs;
    this.#mounts = mounts;
    this.#container = container;
  }

  /** The host path of `path`, a final symlink not followed, and its lstat; `NotFound` as Docker words it. */
  async #find(path: string): Promise<{ host: string; stats: Stats; root: string }> {
    const { root, rest } = locate(this.#rootfs, this.#mounts, path);
    const host = await resolveInRoot(root, rest, { followFinal: path.endsWith('/') || path.endsWith('/.') });
    const stats = await lstat(host).catch(() => undefined);
    if (!stats) throw notFound(`Could not find the file ${path} in container ${this.#container}`);
    return { host, stats, root };
  }

  async stat(path: string): Promise<PathStat> {
    const { host, stats } = await this.#find(path);
    return {
      name: posix.basename(posix.normalize(`/${path}`)) || '/',
      size: stats.size,
      mode: stats.mode,
      mtime: stats.mtime.toISOString(),
      linkTarget: stats.isSymbolicLink() ? await readlink(host) : '',
    };
  }

  /** A tar of what is at `path`: one entry named after it, and for a directory everything below it. */
  async pack(path: string): Promise<{ stat: PathStat; tar: Readable }> {
    const stat = await this.stat(path);
    const { host, stats } = await this.#find(path);
    const name = stat.name === '/' ? '.' : stat.name;
    const header: EntryHeader = { name, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, mtime: stats.mtime };
    const tar = packWith(async (pack) => {
      if (stats.isDirectory()) {
        await addEntry(pack, { ...header, type: 'directory' });
        await writeTree(pack, host, (_entry, h) => [{ ...h, name: `${name}/${h.name}` }]);
      } else if (stats.isSymbolicLink()) {
        await addEntry(pack, { ...header, type: 'symlink', linkname: stat.linkTarget });
      } else if (stats.isFile()) {
        await addStream(pack, { ...header, type: 'file', size: stats.size }, createReadStream(host));
      } else {
        throw invalid(`cannot copy ${path} out of container ${this.#container}: it is not a file, directory or symlink`);
      }
    });
    return { stat, tar };
  }

  /** Unpacks the tar stream `archive` into the directory `path`, which must exist. */
  async extract(path: string, archive: Readable, options: ExtractOptions = {}): Promise<void> {
    const { stats, root } = await this.#find(path.endsWith('/') ? path : `${path}/`);
    if (!stats.isDirectory()) throw invalid(`extraction point is not a directory: ${path} in container ${this.#container}`);
    const { rest } = locate(this.#rootfs, this.#mounts, path);
    const rootOwner = { uid: 0, gid: 0 };
    await extractArchive(new RootfsWriter(root, rootOwner), archive, rest, options.keepOwners ? undefined : rootOwner);
  }
}
