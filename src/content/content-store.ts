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

/** A named, resumable ingest in progress (like containerd's ingest refs). */
export interface IngestStatus {
  ref: string;
  /** Bytes written so far; a resumed writer appends from here. */
  offset: number;
  updatedAt: Date;
}

/**
 * Writes one blob in pieces, possibly across requests and daemon restarts (registry chunked uploads,
 * resumed pulls). Bytes become a blob only at `commit`, which verifies them; until then nothing is
 * visible under any digest.
 */
export interface ContentWriter {
  readonly ref: string;
  /** Bytes held so far. */
  offset(): number;
  /** Appends everything `source` yields; on error the bytes that arrived stay (offset tells how many). */
  append(source: Readable | AsyncIterable<Buffer> | Buffer): Promise<void>;
  /**
   * Verifies against `expected` (digest and/or size), fsyncs and makes the blob visible; the ingest is
   * gone afterwards, also when verification fails (`Invalid`, nothing stored).
   */
  commit(expected?: IngestExpectation): Promise<BlobInfo>;
  /** Lets go of the writer; the ingest stays, to be resumed with `openWriter(ref)`. */
  close(): Promise<void>;
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
  /**
   * Opens the named ingest `ref` (letters, digits, `-`, `_`, `.`, `:`), created empty when unknown.
   * One writer per ref at a time: `Conflict` while another holds it.
   */
  openWriter(ref: string): Promise<ContentWriter>;
  ingestStatus(ref: string): Promise<IngestStatus | undefined>;
  /** Discards the ingest and its bytes; no error when unknown. */
  abortIngest(ref: string): Promise<void>;
  delete(digest: Digest): Promise<void>;
  list(): AsyncIterable<BlobInfo>;
}
