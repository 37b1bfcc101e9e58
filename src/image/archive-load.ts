/**
 * Reads an image archive: an OCI image layout or a `docker save` tarball (either may be gzipped).
 * Every file is streamed into the content store as the tar goes by (nothing large is held in memory);
 * only when the whole archive has been read and every digest, size and diff ID checked does this return
 * the images found. Publishing names is the caller's job, so a bad archive never leaves a name behind.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { BlobInfo, ContentStore, Digest } from '../content/content-store.ts';
import { digestHex, isDigest } from '../content/digest.ts';
import { isMarinaError, MarinaError } from '../errors.ts';
import { decompressIfGzip, isGzip } from './compression.ts';
import {
  decodeConfig,
  decodeDockerSaveManifest,
  decodeIndex,
  decodeManifest,
  encodeJson,
  isIndexMediaType,
} from './image-json.ts';
import { type Descriptor, type ImageManifest, MediaType } from './image-types.ts';
import { normalizeReference } from './reference.ts';

export interface LoadedImage {
  manifestDigest: Digest;
  /** Normalized references the archive gives this image (may be empty). */
  names: string[];
}

const metadataFiles = new Set(['index.json', 'manifest.json', 'oci-layout', 'repositories']);
const maxMetadataBytes = 16 * 1024 * 1024;
const blobPathPattern = /^blobs\/sha256\/([^/]+)$/;
const containerdNameAnnotation = 'io.containerd.image.name';
const ociRefNameAnnotation = 'org.opencontainers.image.ref.name';

interface ArchiveContents {
  files: Map<string, BlobInfo>;
  metadata: Map<string, Buffer>;
  links: Map<string, string>;
}

/** Call inside `GcGate.write`: the blobs stored here are referenced by no image until the caller commits. */
export async function readImageArchive(content: ContentStore, archive: Readable): Promise<LoadedImage[]> {
  try {
    const contents = await extractArchive(content, archive);
    const archiveReader = new ArchiveReader(content, contents);
    if (contents.metadata.has('index.json')) return await archiveReader.readOciLayout();
    if (contents.metadata.has('manifest.json')) return await archiveReader.readDockerSave();
    throw new MarinaError(
      'Invalid',
      'it has neither index.json (OCI layout) nor manifest.json (docker save)',
    );
  } catch (err) {
    if (!isArchiveFault(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new MarinaError('Invalid', `invalid image archive: ${reason}`, { cause: err });
  }
}

/** Faults of the archive's bytes (bad tar, bad JSON, wrong digests), as opposed to failures of this machine (disk full). */
function isArchiveFault(err: unknown): boolean {
  if (isMarinaError(err)) return err.code === 'Invalid' || err.code === 'NotFound';
  return !(err instanceof Error && 'syscall' in err);
}

function normalizeEntryPath(name: string): string {
  return posix
    .normalize(name)
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
}

async function extractArchive(content: ContentStore, archive: Readable): Promise<ArchiveContents> {
  const contents: ArchiveContents = { files: new Map(), metadata: new Map(), links: new Map() };
  const extract = tar.extract();
  const input = await decompressIfGzip(archive);
  const reading = pipeline(input, extract);
  // When reading entries fails, the pipeline fails with the same cause; that rejection is not news.
  reading.catch(() => {});
  for await (const entry of extract) {
    // tar-stream's entries are streamx readables; they iterate as Buffers.
    const body = entry as unknown as AsyncIterable<Buffer>;
    const path = normalizeEntryPath(entry.header.name);
    const type = entry.header.type;
    if ((type === 'symlink' || type === 'link') && entry.header.linkname) {
      const target =
        type === 'symlink' ? posix.join(posix.dirname(path), entry.header.linkname) : entry.header.linkname;
      contents.links.set(path, normalizeEntryPath(target));
      entry.resume();
    } else if (type !== 'file' && type !== 'contiguous-file') {
      entry.resume();
    } else if (metadataFiles.has(path)) {
      contents.metadata.set(path, await readSmall(body, path));
    } else if (/^[^/]+\/(json|VERSION)$/.test(path)) {
      // Legacy per-layer metadata of old `docker save`: not needed to rebuild the image.
      entry.resume();
    } else {
      const blobName = blobPathPattern.exec(path)?.[1];
      const expectedDigest = blobName === undefined ? undefined : `sha256:${blobName}`;
      if (expectedDigest !== undefined && !isDigest(expectedDigest))
        throw new MarinaError('Invalid', `blob file name "${path}" is not a sha256 digest`);
      const info = await content.ingest(
        body,
        expectedDigest === undefined
          ? { size: entry.header.size ?? 0 }
          : { digest: expectedDigest, size: entry.header.size ?? 0 },
      );
      contents.files.set(path, info);
    }
  }
  await reading;
  return contents;
}

async function readSmall(entry: AsyncIterable<Buffer>, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry) {
    size += chunk.length;
    if (size > maxMetadataBytes)
      throw new MarinaError('Invalid', `${path} is larger than ${maxMetadataBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

class ArchiveReader {
  private readonly content: ContentStore;
  private readonly contents: ArchiveContents;

  constructor(content: ContentStore, contents: ArchiveContents) {
    this.content = content;
    this.contents = contents;
  }

  async readOciLayout(): Promise<LoadedImage[]> {
    const index = decodeIndex(this.contents.metadata.get('index.json')!, 'index.json');
    const byManifest = new Map<Digest, Set<string>>();
    for (const descriptor of index.manifests) {
      const manifestDigest = await this.selectImageManifest(descriptor);
      const names = byManifest.get(manifestDigest) ?? new Set<string>();
      const name = nameFromAnnotations(descriptor.annotations);
      if (name !== undefined) names.add(name);
      byManifest.set(manifestDigest, names);
    }
    if (byManifest.size === 0) throw new MarinaError('Invalid', 'index.json lists no images');
    return [...byManifest].map(([manifestDigest, names]) => ({ manifestDigest, names: [...names] }));
  }

  /** Follows an index down to the one image manifest Marina runs (linux/amd64), checking every blob on the way. */
  private async selectImageManifest(descriptor: Descriptor): Promise<Digest> {
    const data = await this.readDescribed(descriptor);
    const parsed = JSON.parse(data.toString()) as { mediaType?: string; manifests?: unknown };
    if (
      isIndexMediaType(descriptor.mediaType) ||
      isIndexMediaType(parsed.mediaType) ||
      Array.isArray(parsed.manifests)
    ) {
      const nested = decodeIndex(data, `image index ${descriptor.digest}`);
      return this.selectImageManifest(selectPlatform(nested.manifests, descriptor.digest));
    }
    const manifest = decodeManifest(data, `image manifest ${descriptor.digest}`);
    await this.checkImage(manifest, descriptor.digest);
    return descriptor.digest;
  }

  private async checkImage(manifest: ImageManifest, manifestDigest: Digest): Promise<void> {
    const config = decodeConfig(
      await this.readDescribed(manifest.config),
      `image config ${manifest.config.digest}`,
    );
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new MarinaError(
        'Invalid',
        `manifest ${manifestDigest} has ${manifest.layers.length} layers but its config lists ${config.rootfs.diff_ids.length} diff IDs`,
      );
    }
    for (const layer of manifest.layers) await this.blobInfo(layer.digest, layer.size);
  }

  async readDockerSave(): Promise<LoadedImage[]> {
    const entries = decodeDockerSaveManifest(this.contents.metadata.get('manifest.json')!);
    const loaded: LoadedImage[] = [];
    for (const entry of entries) {
      const configInfo = this.file(entry.Config);
      const nameHex = /([a-f0-9]{64})(\.json)?$/.exec(entry.Config)?.[1];
      if (nameHex !== undefined && nameHex !== digestHex(configInfo.digest)) {
        throw new MarinaError(
          'Invalid',
          `config ${entry.Config} hashes to ${configInfo.digest}; the file is corrupt`,
        );
      }
      const config = decodeConfig(await this.content.read(configInfo.digest), entry.Config);
      if (config.rootfs.diff_ids.length !== entry.Layers.length) {
        throw new MarinaError(
          'Invalid',
          `${entry.Config} lists ${config.rootfs.diff_ids.length} diff IDs but manifest.json gives ${entry.Layers.length} layers`,
        );
      }
      const layers: Descriptor[] = [];
      for (const [i, layerPath] of entry.Layers.entries()) {
        const info = this.file(layerPath);
        const { diffId, gzip } = await this.layerDiffId(info.digest);
        if (diffId !== config.rootfs.diff_ids[i]) {
          throw new MarinaError(
            'Invalid',
            `layer ${layerPath} has diff ID ${diffId} but the config expects ${config.rootfs.diff_ids[i]}; the layer is corrupt`,
          );
        }
        layers.push({
          mediaType: gzip ? MediaType.OciLayerGzip : MediaType.OciLayer,
          digest: info.digest,
          size: info.size,
        });
      }
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: configInfo.digest, size: configInfo.size },
        layers,
      };
      const stored = await this.content.write(encodeJson(manifest));
      loaded.push({
        manifestDigest: stored.digest,
        names: (entry.RepoTags ?? []).map((tag) => normalizeReference(tag)),
      });
    }
    if (loaded.length === 0) throw new MarinaError('Invalid', 'manifest.json lists no images');
    return loaded;
  }

  private async layerDiffId(digest: Digest): Promise<{ diffId: Digest; gzip: boolean }> {
    const head = await this.readHead(digest);
    if (!isGzip(head)) return { diffId: digest, gzip: false };
    const hash = createHash('sha256');
    await pipeline(this.content.openRead(digest), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) hash.update(chunk);
    });
    return { diffId: `sha256:${hash.digest('hex')}`, gzip: true };
  }

  private async readHead(digest: Digest): Promise<Buffer> {
    for await (const chunk of this.content.openRead(digest, { start: 0, end: 1 })) return chunk as Buffer;
    return Buffer.alloc(0);
  }

  /** A file of the archive by path, following symlinks and hard links (old docker save links duplicate layers). */
  private file(path: string): BlobInfo {
    let current = normalizeEntryPath(path);
    for (let hops = 0; hops < 16; hops++) {
      const info = this.contents.files.get(current);
      if (info) return info;
      const target = this.contents.links.get(current);
      if (target === undefined) break;
      current = target;
    }
    throw new MarinaError('Invalid', `${path} is referenced but missing from the archive`);
  }

  private async readDescribed(descriptor: Descriptor): Promise<Buffer> {
    await this.blobInfo(descriptor.digest, descriptor.size);
    return this.content.read(descriptor.digest);
  }

  /** A blob the layout refers to: in the archive (already verified on ingest) or already stored, with the size declared. */
  private async blobInfo(digest: Digest, size: number): Promise<BlobInfo> {
    const info =
      this.contents.files.get(`blobs/sha256/${digestHex(digest)}`) ?? (await this.content.info(digest));
    if (info === undefined)
      throw new MarinaError('Invalid', `blob ${digest} is referenced but missing from the archive`);
    if (info.size !== size)
      throw new MarinaError(
        'Invalid',
        `blob ${digest} is ${info.size} bytes but its descriptor says ${size}`,
      );
    return info;
  }
}

function selectPlatform(manifests: Descriptor[], indexDigest: Digest): Descriptor {
  const images = manifests.filter((m) => m.platform?.os !== 'unknown');
  const linuxAmd64 = images.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
  if (linuxAmd64) return linuxAmd64;
  if (images.length === 1) return images[0]!;
  throw new MarinaError('Invalid', `image index ${indexDigest} has no linux/amd64 manifest`);
}

function nameFromAnnotations(annotations: Record<string, string> | undefined): string | undefined {
  const full = annotations?.[containerdNameAnnotation];
  if (full !== undefined) return normalizeReference(full);
  const refName = annotations?.[ociRefNameAnnotation];
  // A bare tag ("latest") names no repository; only a full reference can become an image name.
  if (refName === undefined || !/[:/@]/.test(refName)) return undefined;
  return normalizeReference(refName);
}
