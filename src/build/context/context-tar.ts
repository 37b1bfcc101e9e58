/**
 * Unpacks a build context sent as a tar archive (plain or gzip) into an empty directory. A context is
 * user input from possibly another machine, so nothing may land outside the directory: names that are
 * absolute or contain `..` are refused, no entry is written through a symlink (parents are lstat'ed,
 * files opened with O_NOFOLLOW|O_EXCL) and a hard link must name a file the archive already holds.
 * Symlinks themselves are kept as they are, whatever their target: everything that later reads the
 * context resolves paths with resolveInRoot, so a link to `/etc` means the context's own `etc`.
 * Owners are not kept (COPY sets them); modes and mtimes are.
 */
import { constants } from 'node:fs';
import { chmod, link, lstat, lutimes, mkdir, open, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { asMarinaError, invalid, isMarinaError } from '../../errors.ts';
import { decompressIfGzip } from '../../image/compression.ts';
import { ancestorsOf } from '../../snapshot/layer-paths.ts';

/** Extracts `source` into the existing, empty directory `root`. On failure `root` is left partly written. */
export async function extractContextTar(source: Readable, root: string): Promise<void> {
  const input = await decompressIfGzip(source);
  const extract = tar.extract();
  const reading = pipeline(input, extract);
  // Observed below; without this an early failure of the writer would leave the rejection unhandled.
  reading.catch(() => {});
  const writer = new ContextWriter(root);
  try {
    for await (const entry of extract) {
      // streamx readables are async iterable at run time; its type declarations just do not say so.
      await writer.write(entry.header, entry as unknown as AsyncIterable<Uint8Array>);
      entry.resume();
    }
    await reading;
  } catch (err) {
    source.destroy();
    input.destroy();
    extract.destroy();
    await reading.catch(() => {});
    if (isMarinaError(err)) throw err;
    if (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string')
      throw asMarinaError(err);
    throw invalid(
      `the build context is not a readable tar archive (plain or gzip): ${(err as Error).message}`,
    );
  }
  await writer.finish();
}

/** The entry's path relative to the root ('' for the root), or a refusal naming the entry. */
function entryPath(name: string, what: string): string {
  const quoted = JSON.stringify(name);
  if (name.includes('\0')) throw invalid(`build context ${what} ${quoted} contains a NUL byte`);
  if (name.startsWith('/')) {
    throw invalid(
      `build context ${what} ${quoted} is an absolute path; a context archive must hold relative paths`,
    );
  }
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw invalid(
      `build context ${what} ${quoted} contains "..", which could reach outside the context; pack the context without it`,
    );
  }
  return segments.join('/');
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

class ContextWriter {
  readonly #root: string;
  /** Paths known to be real directories created by this archive: saves an lstat per parent per entry. */
  readonly #knownDirs = new Set<string>(['']);
  /**
   * Directory modes and mtimes are set last: a read-only directory would refuse its own children, and
   * creating children changes the mtime.
   */
  readonly #dirs = new Map<string, { mode: number; mtime: Date }>();

  constructor(root: string) {
    this.#root = root;
  }

  #abs(path: string): string {
    return path === '' ? this.#root : join(this.#root, path);
  }

  async write(header: tar.Header, body: AsyncIterable<Uint8Array>): Promise<void> {
    const name = header.name;
    const path = entryPath(name, 'entry');
    if (path === '') return;
    await this.#ensureParents(path, name);
    const abs = this.#abs(path);
    const mtime = header.mtime ?? new Date(0);
    switch (header.type) {
      case 'directory': {
        const existing = await lstatOrUndefined(abs);
        if (!existing?.isDirectory()) {
          if (existing) await this.#remove(path);
          await mkdir(abs, { mode: 0o700 });
        }
        this.#knownDirs.add(path);
        this.#dirs.set(path, { mode: (header.mode ?? 0o755) & 0o7777, mtime });
        return;
      }
      case 'file':
      case 'contiguous-file':
      case null:
      case undefined:
        await this.#replacing(path, () => this.#writeFile(abs, body, (header.mode ?? 0o644) & 0o7777, mtime));
        return;
      case 'symlink':
        await this.#replacing(path, () => symlink(header.linkname ?? '', abs));
        await lutimes(abs, mtime, mtime);
        return;
      case 'link':
        await this.#hardLink(path, name, header.linkname ?? '');
        return;
      default:
        throw invalid(
          `build context entry ${JSON.stringify(name)} is a ${header.type}; a context may hold only files, directories and links`,
        );
    }
  }

  async finish(): Promise<void> {
    const deepestFirst = [...this.#dirs].sort(([a], [b]) => b.split('/').length - a.split('/').length);
    for (const [path, { mode, mtime }] of deepestFirst) {
      await chmod(this.#abs(path), mode);
      await lutimes(this.#abs(path), mtime, mtime);
    }
  }

  /** Creates missing parents and refuses parents that are not real directories (a symlink could lead out). */
  async #ensureParents(path: string, name: string): Promise<void> {
    for (const ancestor of ancestorsOf(path)) {
      if (this.#knownDirs.has(ancestor)) continue;
      const stats = await lstatOrUndefined(this.#abs(ancestor));
      if (stats === undefined) await mkdir(this.#abs(ancestor), { mode: 0o755 });
      else if (!stats.isDirectory()) {
        throw invalid(
          `build context entry ${JSON.stringify(name)} needs ${JSON.stringify(ancestor)} to be a directory, but the archive has a ${stats.isSymbolicLink() ? 'symlink' : 'file'} there`,
        );
      }
      this.#knownDirs.add(ancestor);
    }
  }

  /** Creates `path` with `create`, which fails with EEXIST when something is there; that is then replaced. */
  async #replacing(path: string, create: () => Promise<void>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await this.#remove(path);
      await create();
    }
  }

  /** A later entry for a path replaces the earlier one. */
  async #remove(path: string): Promise<void> {
    const abs = this.#abs(path);
    const stats = await lstatOrUndefined(abs);
    if (!stats) return;
    if (!stats.isDirectory()) return unlink(abs);
    // Directory modes are applied only by finish(), so everything below is still writable here.
    await rm(abs, { recursive: true, force: true });
    const below = `${path}/`;
    for (const dir of this.#knownDirs) if (dir === path || dir.startsWith(below)) this.#knownDirs.delete(dir);
    for (const dir of this.#dirs.keys()) if (dir === path || dir.startsWith(below)) this.#dirs.delete(dir);
  }

  async #writeFile(abs: string, body: AsyncIterable<Uint8Array>, mode: number, mtime: Date): Promise<void> {
    // O_EXCL with O_CREAT also refuses a symlink in the final component, so the write cannot be redirected.
    const file = await open(
      abs,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      for await (const chunk of body) await file.write(chunk);
      await file.chmod(mode);
      await file.utimes(mtime, mtime);
    } finally {
      await file.close();
    }
  }

  async #hardLink(path: string, name: string, linkname: string): Promise<void> {
    const target = entryPath(linkname, `hard link ${JSON.stringify(name)} to`);
    const outside = () =>
      invalid(
        `build context entry ${JSON.stringify(name)} is a hard link to ${JSON.stringify(linkname)}, which is not a file earlier in the archive`,
      );
    // link(2) would follow a symlink among the target's parents, so every parent must be a real directory.
    for (const ancestor of ancestorsOf(target)) {
      if (this.#knownDirs.has(ancestor)) continue;
      const stats = await lstatOrUndefined(this.#abs(ancestor));
      if (!stats?.isDirectory()) throw outside();
      this.#knownDirs.add(ancestor);
    }
    const stats = target === '' ? undefined : await lstatOrUndefined(this.#abs(target));
    if (!stats || stats.isDirectory()) throw outside();
    if (target === path) return;
    await this.#replacing(path, () => link(this.#abs(target), this.#abs(path)));
  }
}
