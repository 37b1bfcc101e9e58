/**
 * The registry's storage and logic (see distribution.ts): repositories are views over the shared content
 * store, made of blob links, manifests and tags in the state database (registry-store.ts).
 *
 * Ordering: bytes are written, then the records naming them, both inside one collector lease, so a
 * content gc never sweeps a blob between the two. Checks that guard a record (a manifest's blobs are
 * linked) are repeated in the same synchronous transaction as the write, so a concurrent registry gc
 * cannot unlink them in between.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ContentCollector } from '../../content/content-collector.ts';
import type { ContentStore, ContentWriter, Digest } from '../../content/content-store.ts';
import { sha256Digest } from '../../content/digest.ts';
import type { StateDb } from '../../db/state-db.ts';
import { invalid, isMarinaError } from '../../errors.ts';
import { type Descriptor, type ImageIndex, MediaType } from '../../image/image-types.ts';
import { registryError } from '../registry-errors.ts';
import type {
  Distribution,
  GcOptions,
  GcResult,
  ManifestContent,
  Page,
  UploadStatus,
} from './distribution.ts';
import { type CheckedManifest, checkManifest } from './manifest-check.ts';
import { RegistryStore } from './registry-store.ts';
import { checkDigest, checkRepositoryName, parseManifestReference } from './repository-names.ts';

/** Uploads untouched this long are abandoned (distribution's default purge age is a week; a day suffices). */
const staleUploadMs = 24 * 60 * 60 * 1000;

export interface DistributionServiceOptions {
  db: StateDb;
  content: ContentStore;
  collector: ContentCollector;
  logger: Logger;
  /** Milliseconds since the epoch; tests move time forward to age links and uploads. */
  now?: () => number;
}

export class DistributionService implements Distribution {
  private readonly store: RegistryStore;
  private readonly content: ContentStore;
  private readonly collector: ContentCollector;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(options: DistributionServiceOptions) {
    this.store = new RegistryStore(options.db);
    this.content = options.content;
    this.collector = options.collector;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.collector.addRoots('registry', () => this.store.liveDigests());
  }

  // --- blobs -------------------------------------------------------------------------------------

  async statBlob(repository: string, digest: string): Promise<{ digest: Digest; size: number }> {
    const blob = this.visibleBlob(repository, digest);
    const info = await this.content.info(blob);
    if (!info) throw blobUnknown(repository, blob);
    return info;
  }

  openBlob(repository: string, digest: string, range?: { start: number; end: number }): Readable {
    return this.content.openRead(this.visibleBlob(repository, digest), range);
  }

  async deleteBlob(repository: string, digest: string): Promise<void> {
    checkRepositoryName(repository);
    const blob = checkDigest(digest);
    if (!this.store.unlink(repository, blob)) throw blobUnknown(repository, blob);
  }

  async mountBlob(
    repository: string,
    fromRepository: string,
    digest: string,
  ): Promise<{ digest: Digest; size: number } | undefined> {
    checkRepositoryName(repository);
    const blob = checkDigest(digest);
    // Inside a lease: the blob seen in the source repository cannot be swept before its new link exists.
    return this.collector.lease(async () => {
      if (this.store.visibleBlobSize(fromRepository, blob) === undefined) return undefined;
      const info = await this.content.info(blob);
      if (!info) return undefined;
      this.store.link(repository, blob, info.size, this.now());
      return info;
    });
  }

  // --- uploads -----------------------------------------------------------------------------------

  async startUpload(repository: string): Promise<UploadStatus> {
    checkRepositoryName(repository);
    const uuid = randomUUID();
    // The named ingest exists before the row, so a row always has its ingest (barring a crash in between,
    // which uploadStatus treats as an unknown upload).
    const writer = await this.content.openWriter(uploadRef(uuid));
    await writer.close();
    this.store.addUpload(uuid, repository, this.now());
    return { uuid, repository, offset: 0 };
  }

  async uploadStatus(repository: string, uuid: string): Promise<UploadStatus> {
    this.requireUpload(repository, uuid);
    const status = await this.content.ingestStatus(uploadRef(uuid));
    if (!status) {
      this.store.deleteUpload(uuid);
      throw uploadUnknown(uuid);
    }
    return { uuid, repository, offset: status.offset };
  }

  async appendUpload(
    repository: string,
    uuid: string,
    body: Readable,
    start?: number,
  ): Promise<UploadStatus> {
    this.requireUpload(repository, uuid);
    const writer = await this.openUploadWriter(uuid);
    try {
      const offset = writer.offset();
      if (start !== undefined && start !== offset) {
        throw registryError(
          'RANGE_INVALID',
          `chunk starts at byte ${start} but upload ${uuid} holds ${offset} bytes: send the chunk starting at byte ${offset}`,
          { offset },
        );
      }
      await writer.append(body);
      return { uuid, repository, offset: writer.offset() };
    } finally {
      this.store.touchUpload(uuid, this.now());
      await writer.close();
    }
  }

  async completeUpload(
    repository: string,
    uuid: string,
    digest: string,
    body?: Readable,
  ): Promise<{ digest: Digest; size: number }> {
    this.requireUpload(repository, uuid);
    const expected = checkDigest(digest);
    const writer = await this.openUploadWriter(uuid);
    if (body) {
      try {
        await writer.append(body);
      } catch (err) {
        // The bytes that arrived stay; the client may resume from the reported offset.
        this.store.touchUpload(uuid, this.now());
        await writer.close();
        throw err;
      }
    }
    try {
      return await this.collector.lease(async () => {
        const blob = await writer.commit({ digest: expected });
        this.store.transaction(() => {
          this.store.link(repository, blob.digest, blob.size, this.now());
          this.store.deleteUpload(uuid);
        });
        return blob;
      });
    } catch (err) {
      // A failed commit has discarded the ingest (and a verified one cannot fail after the rename
      // without the link, which is inside the lease); the upload is over either way.
      this.store.deleteUpload(uuid);
      await this.content.abortIngest(uploadRef(uuid));
      if (isMarinaError(err, 'Invalid')) {
        throw registryError(
          'DIGEST_INVALID',
          `upload ${uuid} does not match digest ${expected}: ${err.message}; the upload was discarded, push the blob again`,
          { digest: expected },
        );
      }
      throw err;
    }
  }

  async cancelUpload(repository: string, uuid: string): Promise<void> {
    this.requireUpload(repository, uuid);
    this.store.deleteUpload(uuid);
    await this.content.abortIngest(uploadRef(uuid));
  }

  // --- manifests ---------------------------------------------------------------------------------

  async getManifest(repository: string, reference: string): Promise<ManifestContent> {
    checkRepositoryName(repository);
    const ref = parseManifestReference(reference);
    const digest = 'tag' in ref ? this.store.tag(repository, ref.tag) : ref.digest;
    const record = digest && this.store.manifest(repository, digest);
    if (!digest || !record) throw manifestUnknown(repository, reference);
    try {
      return { digest, mediaType: record.mediaType, body: await this.content.read(digest) };
    } catch (err) {
      if (isMarinaError(err, 'NotFound')) throw manifestUnknown(repository, reference);
      throw err;
    }
  }

  async putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    body: Buffer,
  ): Promise<{ digest: Digest; subject?: Digest }> {
    checkRepositoryName(repository);
    const ref = parseManifestReference(reference);
    const checked = checkManifest(mediaType, body);
    const digest = sha256Digest(body);
    if ('digest' in ref && ref.digest !== digest) {
      throw registryError(
        'DIGEST_INVALID',
        `manifest pushed as ${ref.digest} has digest ${digest}: push it by its own digest or by a tag`,
        { digest: ref.digest },
      );
    }
    // Checked before writing (bad input writes nothing) and again in the recording transaction.
    this.requireReferences(repository, checked);
    await this.collector.lease(async () => {
      await this.content.write(body, { digest });
      this.store.transaction(() => {
        this.requireReferences(repository, checked);
        this.store.putManifest(
          {
            repo: repository,
            digest,
            mediaType: checked.mediaType,
            size: body.length,
            ...(checked.artifactType !== undefined && { artifactType: checked.artifactType }),
            ...(checked.subject !== undefined && { subject: checked.subject }),
            ...(checked.annotations !== undefined && { annotations: checked.annotations }),
            children: [...checked.blobs, ...checked.manifests].map((d) => d.digest),
          },
          this.now(),
        );
        if ('tag' in ref) this.store.setTag(repository, ref.tag, digest);
      });
    });
    this.logger.debug({ repository, reference, digest }, 'manifest stored');
    return checked.subject === undefined ? { digest } : { digest, subject: checked.subject };
  }

  async deleteManifest(repository: string, reference: string): Promise<void> {
    checkRepositoryName(repository);
    const ref = parseManifestReference(reference);
    const deleted =
      'tag' in ref
        ? this.store.deleteTag(repository, ref.tag)
        : this.store.deleteManifest(repository, ref.digest);
    if (!deleted) throw manifestUnknown(repository, reference);
  }

  // --- listings ----------------------------------------------------------------------------------

  async listTags(repository: string, page: { n?: number; last?: string }): Promise<Page<string>> {
    checkRepositoryName(repository);
    if (!this.store.repositoryExists(repository)) {
      throw registryError('NAME_UNKNOWN', `repository ${repository} is not known to this registry`, {
        name: repository,
      });
    }
    return paginate(page, (after, limit) => this.store.tags(repository, after, limit));
  }

  async catalog(page: { n?: number; last?: string }): Promise<Page<string>> {
    return paginate(page, (after, limit) => this.store.repositories(after, limit));
  }

  async referrers(repository: string, digest: string, artifactType?: string): Promise<ImageIndex> {
    checkRepositoryName(repository);
    const subject = checkDigest(digest);
    const manifests = this.store.referrers(repository, subject, artifactType).map((r): Descriptor => {
      const descriptor: Descriptor = { mediaType: r.mediaType, digest: r.digest, size: r.size };
      if (r.artifactType !== undefined) descriptor.artifactType = r.artifactType;
      if (r.annotations !== undefined) descriptor.annotations = r.annotations;
      return descriptor;
    });
    return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  }

  // --- garbage collection ------------------------------------------------------------------------

  async collectGarbage(options: GcOptions): Promise<GcResult> {
    if (!Number.isFinite(options.minAgeSeconds) || options.minAgeSeconds < 0) {
      throw invalid(`gc minimum age must be a number of seconds ≥ 0, not ${options.minAgeSeconds}`);
    }
    const now = this.now();
    const staleUploads = this.store.staleUploads(now - staleUploadMs);
    const prune = () => {
      const manifests = options.untagged ? this.store.unkeptManifests() : [];
      for (const m of manifests) this.store.deleteManifest(m.repo, m.digest);
      // After the manifests, so links only they named go in the same run.
      const links = this.store.unreferencedLinks(now - options.minAgeSeconds * 1000);
      for (const l of links) this.store.unlink(l.repo, l.digest);
      return { manifests: manifests.length, links: links.length };
    };

    if (options.dryRun) {
      const plan = this.dryRun(prune);
      let reclaimedBytes = 0;
      let blobsRemoved = 0;
      for (const digest of plan.released) {
        const info = await this.content.info(digest);
        if (!info) continue;
        blobsRemoved++;
        reclaimedBytes += info.size;
      }
      const result = {
        blobLinksRemoved: plan.links,
        manifestsRemoved: plan.manifests,
        blobsRemoved,
        reclaimedBytes,
      };
      this.logger.info({ ...result, staleUploads: staleUploads.length }, 'registry gc dry run');
      return result;
    }

    const pruned = this.store.transaction(prune);
    for (const upload of staleUploads) {
      this.store.deleteUpload(upload.uuid);
      await this.content.abortIngest(uploadRef(upload.uuid));
    }
    const swept = await this.collector.collect();
    const result = {
      blobLinksRemoved: pruned.links,
      manifestsRemoved: pruned.manifests,
      blobsRemoved: swept.removed.length,
      reclaimedBytes: swept.reclaimedBytes,
    };
    this.logger.info({ ...result, staleUploads: staleUploads.length }, 'registry gc');
    return result;
  }

  /**
   * Runs `prune` in a transaction that is rolled back, and reports which digests the registry would stop
   * needing. Other owners (images) may still hold some, so the blob count is an upper bound.
   */
  private dryRun(prune: () => { manifests: number; links: number }): {
    manifests: number;
    links: number;
    released: Digest[];
  } {
    const before = this.store.liveDigests();
    let plan: { manifests: number; links: number; released: Digest[] } | undefined;
    try {
      this.store.transaction(() => {
        const counts = prune();
        const after = new Set(this.store.liveDigests());
        plan = { ...counts, released: before.filter((d) => !after.has(d)) };
        throw rollback;
      });
    } catch (err) {
      if (err !== rollback) throw err;
    }
    if (!plan) throw new Error('registry gc dry run produced no plan');
    return plan;
  }

  // --- helpers -----------------------------------------------------------------------------------

  private visibleBlob(repository: string, digest: string): Digest {
    checkRepositoryName(repository);
    const blob = checkDigest(digest);
    if (this.store.visibleBlobSize(repository, blob) === undefined) throw blobUnknown(repository, blob);
    return blob;
  }

  private requireUpload(repository: string, uuid: string): void {
    checkRepositoryName(repository);
    if (this.store.upload(uuid)?.repo !== repository) throw uploadUnknown(uuid);
  }

  private async openUploadWriter(uuid: string): Promise<ContentWriter> {
    try {
      return await this.content.openWriter(uploadRef(uuid));
    } catch (err) {
      if (isMarinaError(err, 'Conflict')) {
        throw registryError(
          'BLOB_UPLOAD_INVALID',
          `upload ${uuid} is being written by another request: send chunks one after the other`,
        );
      }
      throw err;
    }
  }

  private requireReferences(repository: string, checked: CheckedManifest): void {
    const missing = [
      ...checked.blobs.filter((d) => !this.store.isLinked(repository, d.digest)),
      ...checked.manifests.filter((d) => !this.store.hasManifest(repository, d.digest)),
    ].map((d) => d.digest);
    if (missing.length > 0) {
      throw registryError(
        'MANIFEST_BLOB_UNKNOWN',
        `manifest names content not in repository ${repository}: ${missing.join(', ')}; push those blobs and manifests first`,
        { digest: missing[0] },
      );
    }
  }
}

const rollback = Symbol('rollback');

function uploadRef(uuid: string): string {
  return `upload-${uuid}`;
}

/** `n` items after `last`, with `next` set when more remain. */
function paginate(
  page: { n?: number; last?: string },
  fetch: (after: string, limit: number | undefined) => string[],
): Page<string> {
  const { n, last = '' } = page;
  if (n === undefined) return { items: fetch(last, undefined) };
  if (!Number.isInteger(n) || n < 0) throw invalid(`page size n must be a whole number ≥ 0, not ${n}`);
  if (n === 0) return { items: [] };
  const items = fetch(last, n + 1);
  if (items.length <= n) return { items };
  items.length = n;
  return { items, next: items[n - 1] as string };
}

function blobUnknown(repository: string, digest: Digest) {
  return registryError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${repository}`, { digest });
}

function uploadUnknown(uuid: string) {
  return registryError(
    'BLOB_UPLOAD_UNKNOWN',
    `upload ${uuid} is not in progress in this repository (finished, cancelled or expired): start a new upload`,
  );
}

function manifestUnknown(repository: string, reference: string) {
  return registryError('MANIFEST_UNKNOWN', `manifest ${reference} is not in repository ${repository}`, {
    name: repository,
    reference,
  });
}
