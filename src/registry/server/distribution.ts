/**
 * The registry's role as its HTTP layer calls it: the OCI Distribution spec's operations on
 * repositories, blobs, uploads, manifests, tags and referrers, over the engine's content store.
 * Every method throws `registryError(...)` with the spec's code on bad input, and bad input changes
 * nothing. Repository names and tags are validated here (NAME_INVALID, TAG_INVALID).
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../content/content-store.ts';
import type { ImageIndex } from '../../image/image-types.ts';

export interface UploadStatus {
  uuid: string;
  repository: string;
  /** Bytes received so far. */
  offset: number;
}

export interface ManifestContent {
  digest: Digest;
  mediaType: string;
  body: Buffer;
}

export interface Page<T> {
  items: T[];
  /** Set when more follow: the `last` to ask the next page with. */
  next?: string;
}

export interface GcOptions {
  /** Blobs linked to a repository more recently than this are kept even when unreferenced (in-flight pushes). */
  minAgeSeconds: number;
  /** Also delete manifests no tag points at and no other manifest (index, referrer) names. */
  untagged?: boolean;
  dryRun?: boolean;
}

export interface GcResult {
  blobLinksRemoved: number;
  manifestsRemoved: number;
  blobsRemoved: number;
  reclaimedBytes: number;
}

export interface Distribution {
  /** BLOB_UNKNOWN unless the blob is linked to `repository`. */
  statBlob(repository: string, digest: string): Promise<{ digest: Digest; size: number }>;
  /** Inclusive byte range, as in HTTP Range. */
  openBlob(repository: string, digest: string, range?: { start: number; end: number }): Readable;
  startUpload(repository: string): Promise<UploadStatus>;
  /** Links an existing blob of `fromRepository` into `repository`; undefined when it cannot (then upload). */
  mountBlob(repository: string, fromRepository: string, digest: string): Promise<{ digest: Digest; size: number } | undefined>;
  uploadStatus(repository: string, uuid: string): Promise<UploadStatus>;
  /** `start` (from Content-Range) must equal the current offset: RANGE_INVALID otherwise. */
  appendUpload(repository: string, uuid: string, body: Readable, start?: number): Promise<UploadStatus>;
  /** Appends `body` if given, verifies against `digest` (DIGEST_INVALID, upload discarded), links the blob. */
  completeUpload(repository: string, uuid: string, digest: string, body?: Readable): Promise<{ digest: Digest; size: number }>;
  cancelUpload(repository: string, uuid: string): Promise<void>;
  /** Unlinks the blob from the repository; the bytes go at the next gc when nothing else needs them. */
  deleteBlob(repository: string, digest: string): Promise<void>;

  /** `reference` is a tag or a digest. MANIFEST_UNKNOWN when absent. */
  getManifest(repository: string, reference: string): Promise<ManifestContent>;
  /**
   * Validates (JSON, schemaVersion 2, known media type, size ≤ 4 MiB → MANIFEST_TOO_LARGE, every named
   * blob/manifest present in the repository → MANIFEST_BLOB_UNKNOWN), stores, tags when `reference` is
   * a tag, and records the subject for referrers. `mediaType` is the request's Content-Type.
   */
  putManifest(repository: string, reference: string, mediaType: string, body: Buffer): Promise<{ digest: Digest; subject?: Digest }>;
  /** By digest: the manifest and its tags. By tag: the tag only. */
  deleteManifest(repository: string, reference: string): Promise<void>;

  /** Lexically ordered; NAME_UNKNOWN when the repository does not exist. */
  listTags(repository: string, page: { n?: number; last?: string }): Promise<Page<string>>;
  catalog(page: { n?: number; last?: string }): Promise<Page<string>>;
  /** An OCI image index of the manifests whose subject is `digest`, filtered by artifactType when given. */
  referrers(repository: string, digest: string, artifactType?: string): Promise<ImageIndex>;

  collectGarbage(options: GcOptions): Promise<GcResult>;
}
