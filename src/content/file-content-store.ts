/**
 * The content store as files: `<root>/content/blobs/sha256/<hex>`, written through `<root>/content/ingest/`.
 * A blob becomes visible only by rename after its bytes were hashed, checked and fsynced, so a reader
 * never sees a partial or wrong blob, and a crash leaves at most a file in ingest/ (see `cleanupIngest`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { MarinaError } from '../errors.ts';
import type { BlobInfo, ContentStore, Digest, IngestExpectation } from './content-store.ts';
import { digestHex, isDigest, parseDigest } from './digest.ts';

export class FileContentStore implements ContentStore {
  readonly root: string;
  private readonly blobDir: string;
  private readonly ingestDir: string;

  constructor(stateRoot: string) {
    this.root = join(stateRoot, 'content');
    this.blobDir = join(this.root, 'blobs', 'sha256');
    this.ingestDir = join(this.root, 'ingest');
  }

  /** Creates the directories and deletes partial writes a previous process left behind. Call at start-up. */
  async cleanupIngest(): Promise<void> {
    await rm(this.ingestDir, { recursive: true, force: true });
    await this.ensureDirs();
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
      yield* createReadStream(this.path(digest), { start: options.start, end: options.end });
    } catch (err) {
      // Same NotFound as `read`, instead of a bare ENOENT.
      throw isNoEntry(err) ? missingBlob(digest) : err;
    }
  }

  write(data: Buffer | string, expected?: IngestExpectation): Promise<BlobInfo> {
    return this.ingest(Readable.from([typeof data === 'string' ? Buffer.from(data) : data]), expected);
  }

  async ingest(
    source: Readable | AsyncIterable<Buffer>,
    expected: IngestExpectation = {},
  ): Promise<BlobInfo> {
    if (expected.digest !== undefined) parseDigest(expected.digest, 'expected digest');
    await this.ensureDirs();
    const tempPath = join(this.ingestDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    try {
      const hash = createHash('sha256');
      let size = 0;
      const out = createWriteStream(tempPath, { flags: 'wx' });
      try {
        for await (const chunk of source) {
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
          hash.update(buf);
          size += buf.length;
          if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', resolve));
        }
      } finally {
        out.end();
        await finished(out);
      }
      const digest: Digest = `sha256:${hash.digest('hex')}`;
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
      await fsyncPath(tempPath);
      // A concurrent ingest of the same bytes may have won the race; renaming over it is harmless
      // because both files hold identical, verified content.
      await rename(tempPath, join(this.blobDir, digestHex(digest)));
      await fsyncPath(this.blobDir);
      return { digest, size };
    } catch (err) {
      await unlink(tempPath).catch(() => {});
      throw err;
    }
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
