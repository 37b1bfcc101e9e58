/**
 * The content store as files: `<root>/content/blobs/sha256/<hex>`, written through `<root>/content/ingest/`.
 * A blob becomes visible only by rename after its bytes were hashed, checked and fsynced, so a reader
 * never sees a partial or wrong blob, and a crash leaves at most a file in ingest/ (see `cleanupIngest`).
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MarinaError } from '../errors.ts';
import type {
  BlobInfo,
  ContentStore,
  ContentWriter,
  Digest,
  IngestExpectation,
  IngestStatus,
} from './content-store.ts';
import { digestHex, isDigest, parseDigest } from './digest.ts';

const throwawayPrefix = 'tmp-';
const staleIngestMs = 24 * 60 * 60 * 1000;
const refPattern = /^[A-Za-z0-9._:-]{1,200}$/;

interface IngestState {
  hash: Hash;
  offset: number;
}

interface WriterHooks {
  commit(state: IngestState, expected: IngestExpectation): Promise<BlobInfo>;
  release(): void;
}

/** Appends to one ingest file, keeping its running hash and offset in step with what reached the file. */
class FileContentWriter implements ContentWriter {
  readonly ref: string;
  private readonly handle: FileHandle;
  private readonly state: IngestState;
  private readonly hooks: WriterHooks;
  private open = true;

  constructor(ref: string, handle: FileHandle, state: IngestState, hooks: WriterHooks) {
    this.ref = ref;
    this.handle = handle;
    this.state = state;
    this.hooks = hooks;
  }

  offset(): number {
    return this.state.offset;
  }

  async append(source: Readable | AsyncIterable<Buffer> | Buffer): Promise<void> {
    this.assertOpen();
    const chunks = Buffer.isBuffer(source) ? [source] : source;
    for await (const chunk of chunks) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      await this.handle.write(buf);
      this.state.hash.update(buf);
      this.state.offset += buf.length;
    }
  }

  async commit(expected: IngestExpectation = {}): Promise<BlobInfo> {
    this.assertOpen();
    try {
      await this.handle.sync();
    } finally {
      await this.close();
    }
    return this.hooks.commit(this.state, expected);
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    try {
      await this.handle.close();
    } finally {
      this.hooks.release();
    }
  }

  private assertOpen(): void {
    if (!this.open) throw new MarinaError('Internal', `content writer "${this.ref}" was already closed`);
  }
}

export class FileContentStore implements ContentStore {
  readonly root: string;
  private readonly blobDir: string;
  private readonly ingestDir: string;
  /** Running hashes of named ingests, so a resumed append does not re-read what came before. */
  private readonly ingestHashes = new Map<string, IngestState>();
  private readonly busyIngests = new Set<string>();

  constructor(stateRoot: string) {
    this.root = join(stateRoot, 'content');
    this.blobDir = join(this.root, 'blobs', 'sha256');
    this.ingestDir = join(this.root, 'ingest');
  }

  /**
   * Creates the directories and deletes what a previous process left behind: one-shot ingests, and named
   * (resumable) ones untouched for a day. Call at start-up.
   */
  async cleanupIngest(): Promise<void> {
    await this.ensureDirs();
    const staleBefore = Date.now() - staleIngestMs;
    for (const name of await readdir(this.ingestDir)) {
      const path = join(this.ingestDir, name);
      const st = await stat(path).catch(() => undefined);
      if (name.startsWith(throwawayPrefix) || !st?.isFile() || st.mtimeMs < staleBefore)
        await rm(path, { recursive: true, force: true });
    }
  }

  path(digest: Digest): string {
    return join(this.blobDir, digestHex(parseDigest(digest)));
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (isNoEntry(err)) return undefined;
      throw err;
    }
  }

  async read(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if (isNoEntry(err)) throw missingBlob(digest);
      throw err;
    }
  }

  openRead(digest: Digest, options: { start?: number; end?: number } = {}): Readable {
    return Readable.from(this.readRange(digest, options), { objectMode: false });
  }

  private async *readRange(
    digest: Digest,
    options: { start?: number; end?: number },
  ): AsyncGenerator<Buffer> {
    try {
      // Large reads: 1 MiB chunks cost far fewer event-loop turns than the default 64 KiB when serving layers.
      yield* createReadStream(this.path(digest), {
        start: options.start,
        end: options.end,
        highWaterMark: 1024 * 1024,
      });
    } catch (err) {
      // Same NotFound as `read`, instead of a bare ENOENT.
      throw isNoEntry(err) ? missingBlob(digest) : err;
    }
  }

  write(data: Buffer | string, expected?: IngestExpectation): Promise<BlobInfo> {
    return this.ingest(typeof data === 'string' ? Buffer.from(data) : data, expected);
  }

  /** A one-shot ingest under a throwaway ref, which start-up cleanup removes if the process dies. */
  async ingest(
    source: Readable | AsyncIterable<Buffer> | Buffer,
    expected: IngestExpectation = {},
  ): Promise<BlobInfo> {
    if (expected.digest !== undefined) parseDigest(expected.digest, 'expected digest');
    const writer = await this.openWriter(`${throwawayPrefix}${Date.now()}-${randomBytes(8).toString('hex')}`);
    try {
      await writer.append(source);
      return await writer.commit(expected);
    } catch (err) {
      await writer.close();
      await this.abortIngest(writer.ref);
      throw err;
    }
  }

  async openWriter(ref: string): Promise<ContentWriter> {
    const path = this.ingestPath(ref);
    if (this.busyIngests.has(ref))
      throw new MarinaError(
        'Conflict',
        `ingest "${ref}" is being written by another request; retry when it is done`,
      );
    this.busyIngests.add(ref);
    try {
      await this.ensureDirs();
      const handle = await open(path, 'a');
      let state = this.ingestHashes.get(ref);
      const { size } = await handle.stat();
      if (state === undefined || state.offset !== size) {
        // First open since start-up (or the file changed under us): hash what is already there.
        const hash = createHash('sha256');
        if (size > 0)
          for await (const chunk of createReadStream(path, { end: size - 1 })) hash.update(chunk as Buffer);
        state = { hash, offset: size };
        this.ingestHashes.set(ref, state);
      }
      return new FileContentWriter(ref, handle, state, {
        commit: (writer, expected) => this.commitIngest(ref, path, writer, expected),
        release: () => this.busyIngests.delete(ref),
      });
    } catch (err) {
      this.busyIngests.delete(ref);
      throw err;
    }
  }

  async ingestStatus(ref: string): Promise<IngestStatus | undefined> {
    try {
      const st = await stat(this.ingestPath(ref));
      return { ref, offset: st.size, updatedAt: st.mtime };
    } catch (err) {
      if (isNoEntry(err)) return undefined;
      throw err;
    }
  }

  async abortIngest(ref: string): Promise<void> {
    this.ingestHashes.delete(ref);
    await rm(this.ingestPath(ref), { force: true });
  }

  private async commitIngest(
    ref: string,
    path: string,
    state: IngestState,
    expected: IngestExpectation,
  ): Promise<BlobInfo> {
    const digest: Digest = `sha256:${state.hash.copy().digest('hex')}`;
    const size = state.offset;
    this.ingestHashes.delete(ref);
    try {
      if (expected.digest !== undefined && expected.digest !== digest) {
        throw new MarinaError(
          'Invalid',
          `content digest mismatch: expected ${expected.digest}, got ${digest}; the data is corrupt or truncated`,
        );
      }
      if (expected.size !== undefined && expected.size !== size) {
        throw new MarinaError(
          'Invalid',
          `content size mismatch for ${digest}: expected ${expected.size} bytes, got ${size}`,
        );
      }
      // A concurrent ingest of the same bytes may have won the race; renaming over it is harmless
      // because both files hold identical, verified content.
      await rename(path, join(this.blobDir, digestHex(digest)));
      await fsyncPath(this.blobDir);
      return { digest, size };
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  }

  private ingestPath(ref: string): string {
    if (!refPattern.test(ref) || ref === '.' || ref === '..')
      throw new MarinaError(
        'Invalid',
        `invalid ingest ref "${ref}": use letters, digits, "-", "_", "." and ":" (at most 200)`,
      );
    return join(this.ingestDir, ref);
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await unlink(this.path(digest));
    } catch (err) {
      if (!isNoEntry(err)) throw err;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    let names: string[];
    try {
      names = await readdir(this.blobDir);
    } catch (err) {
      if (isNoEntry(err)) return;
      throw err;
    }
    for (const name of names) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      const info = await this.info(digest);
      if (info) yield info;
    }
  }

  private async ensureDirs(): Promise<void> {
    await mkdir(this.blobDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
  }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNoEntry(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function missingBlob(digest: Digest): MarinaError {
  return new MarinaError('NotFound', `blob ${digest} is not in the content store`);
}
