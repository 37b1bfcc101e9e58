/**
 * Content-addressed blob storage shared by the engine, the builder and the registry: a byte pulled,
 * built or pushed is stored once. Writes are atomic (temp file, fsync, rename) and verified against the
 * expected digest, so a blob is either wholly present under its digest or absent, even after a kill -9.
 */
import type { Readable } from 'node:stream';

/** `sha256:<64 hex>` */
export type Digest = `sha256:${string}`;

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface IngestExpectation {
  /** When given, the write fails with `Invalid` (and stores nothing) if the content hashes differently. */
  digest?: Digest;
  /** When given, the write fails with `Invalid` if the content has another length. */
  size?: number;
}

export interface ContentStore {
  has(digest: Digest): Promise<boolean>;
  info(digest: Digest): Promise<BlobInfo | undefined>;
  /** Absolute path of a present blob, for readers that want a file (e.g. tar extraction). */
  path(digest: Digest): string;
  read(digest: Digest): Promise<Buffer>;
  /** `start` allows resuming and HTTP Range reads. */
  openRead(digest: Digest, options?: { start?: number; end?: number }): Readable;
  /** Stores a small blob held in memory. */
  write(data: Buffer | string, expected?: IngestExpectation): Promise<BlobInfo>;
  /** Streams a blob in; verified and made visible atomically only when complete. */
  ingest(source: Readable | AsyncIterable<Buffer>, expected?: IngestExpectation): Promise<BlobInfo>;
  delete(digest: Digest): Promise<void>;
  list(): AsyncIterable<BlobInfo>;
}
