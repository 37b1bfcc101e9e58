/**
 * Writes images as one tarball that is at once an OCI image layout (oci-layout, index.json, blobs/) and a
 * `docker save` archive (manifest.json, repositories), the way docker 25+ does, so that `docker load`,
 * `marina image load` and OCI tools all read it. Entries are deterministic: same images, same bytes.
 */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { ContentStore, Digest } from '../content/content-store.ts';
import { digestHex } from '../content/digest.ts';
import { encodeJson } from './image-json.ts';
import { type Descriptor, type ImageManifest, MediaType } from './image-types.ts';
import { familiarRepository, parseReference } from './reference.ts';
import { addEntry, addStream, type EntryHeader } from './tar-entries.ts';

export interface SavedImage {
  manifestDigest: Digest;
  manifest: ImageManifest;
  /** Normalized references to record for it; empty saves it by ID only. */
  names: string[];
}

const fixedMtime = new Date(0);
const containerdNameAnnotation = 'io.containerd.image.name';
const ociRefNameAnnotation = 'org.opencontainers.image.ref.name';

/** The archive as a stream; `images` is awaited when reading starts, and its failure fails the stream. */
export function createImageArchive(content: ContentStore, images: () => Promise<SavedImage[]>): Readable {
  const pack = tar.pack();
  writeArchive(content, pack, images).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return pack as unknown as Readable;
}

async function writeArchive(
  content: ContentStore,
  pack: tar.Pack,
  images: () => Promise<SavedImage[]>,
): Promise<void> {
  const saved = await images();
  const blobs = new Set<Digest>();
  for (const image of saved) {
    blobs.add(image.manifestDigest);
    blobs.add(image.manifest.config.digest);
    for (const layer of image.manifest.layers) blobs.add(layer.digest);
  }
  await addFile(pack, 'oci-layout', encodeJson({ imageLayoutVersion: '1.0.0' }));
  await addDirectory(pack, 'blobs');
  await addDirectory(pack, 'blobs/sha256');
  for (const digest of [...blobs].sort()) {
    const info = await content.info(digest);
    if (!info) throw new Error(`blob ${digest} is missing from the content store`);
    await addStream(
      pack,
      { ...fileHeader(`blobs/sha256/${digestHex(digest)}`), size: info.size },
      content.openRead(digest),
    );
  }
  await addFile(pack, 'index.json', encodeJson(await ociIndex(content, saved)));
  await addFile(pack, 'manifest.json', encodeJson(dockerManifest(saved)));
  await addFile(pack, 'repositories', encodeJson(repositories(saved)));
}

async function ociIndex(content: ContentStore, saved: SavedImage[]): Promise<object> {
  const manifests: Descriptor[] = [];
  for (const image of saved) {
    const info = await content.info(image.manifestDigest);
    const base: Descriptor = {
      mediaType: image.manifest.mediaType ?? MediaType.OciManifest,
      digest: image.manifestDigest,
      size: info?.size ?? 0,
    };
    if (image.names.length === 0) manifests.push(base);
    for (const name of image.names) {
      const ref = parseReference(name);
      manifests.push({
        ...base,
        annotations: {
          [containerdNameAnnotation]: name,
          [ociRefNameAnnotation]: ref.tag ?? ref.digest ?? '',
        },
      });
    }
  }
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
}

function dockerManifest(saved: SavedImage[]): object[] {
  return saved.map((image) => ({
    Config: `blobs/sha256/${digestHex(image.manifest.config.digest)}`,
    RepoTags: image.names.map(familiarTag).filter((t) => t !== undefined),
    Layers: image.manifest.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
  }));
}

/** The legacy `repositories` file: familiar repository → tag → image ID hex. */
function repositories(saved: SavedImage[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const image of saved) {
    for (const name of image.names) {
      const ref = parseReference(name);
      if (ref.tag === undefined) continue;
      const repository = familiarRepository(ref);
      out[repository] = { ...out[repository], [ref.tag]: digestHex(image.manifest.config.digest) };
    }
  }
  return out;
}

function familiarTag(name: string): string | undefined {
  const ref = parseReference(name);
  return ref.tag === undefined ? undefined : `${familiarRepository(ref)}:${ref.tag}`;
}

function fileHeader(name: string): EntryHeader {
  return { name, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: fixedMtime, type: 'file' };
}

function addDirectory(pack: tar.Pack, name: string): Promise<void> {
  return addEntry(pack, { ...fileHeader(name), mode: 0o755, type: 'directory' });
}

function addFile(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return addEntry(pack, fileHeader(name), data);
}
