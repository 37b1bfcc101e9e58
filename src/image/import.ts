/**
 * Import: a root filesystem tarball (plain or gzip) becomes a single-layer linux/amd64 image. The layer
 * is stored gzipped; its diff ID is the sha256 of the uncompressed tar, computed on the way through.
 */
import { createHash } from 'node:crypto';
import { pipeline, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { ContentStore, Digest } from '../content/content-store.ts';
import { invalid } from '../errors.ts';
import { applyChanges } from './changes.ts';
import { decompressIfGzip } from './compression.ts';
import { encodeJson } from './image-json.ts';
import { type ImageConfig, type ImageManifest, MediaType } from './image-types.ts';

export interface ImportOptions {
  /** Dockerfile-like instructions applied to the config (see changes.ts). */
  changes?: string[];
  /** Recorded as the history comment. */
  message?: string;
  /** Creation time to record; fixed for reproducible images (default: now). */
  created?: string;
}

const tarBlockSize = 512;

/** Stores the layer, config and manifest blobs; returns the manifest digest. Nothing is named here. */
export async function importRootfs(
  content: ContentStore,
  rootfs: AsyncIterable<Buffer>,
  options: ImportOptions = {},
): Promise<Digest> {
  // Changes are checked before any byte is stored.
  const runtimeConfig = applyChanges({}, options.changes ?? []);
  const created = options.created ?? new Date().toISOString();
  const uncompressedHash = createHash('sha256');
  const tarStream = await decompressIfGzip(rootfs);
  const gzipped = pipeline(tarStream, tarChecker(uncompressedHash), createGzip(), () => {});
  const layer = await content.ingest(gzipped);
  const diffId: Digest = `sha256:${uncompressedHash.digest('hex')}`;

  const config: ImageConfig = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: runtimeConfig,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [
      {
        created,
        created_by: 'marina image import',
        ...(options.message ? { comment: options.message } : {}),
      },
    ],
  };
  const configBlob = await content.write(encodeJson(config));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configBlob.digest, size: configBlob.size },
    layers: [{ mediaType: MediaType.OciLayerGzip, digest: layer.digest, size: layer.size }],
  };
  return (await content.write(encodeJson(manifest))).digest;
}

/** Passes bytes through, hashing them, and fails unless they start like a tar archive. */
function tarChecker(hash: ReturnType<typeof createHash>): Transform {
  let head = Buffer.alloc(0);
  const check = () => {
    if (head.length < tarBlockSize)
      throw invalid('the import source is not a tar archive: it is shorter than one tar block');
    const magic = head.subarray(257, 262).toString('latin1');
    const zeroBlock = head.subarray(0, tarBlockSize).every((b) => b === 0);
    if (magic !== 'ustar' && !zeroBlock)
      throw invalid('the import source is not a tar archive (plain or gzip)');
  };
  let checked = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      try {
        if (!checked && head.length < tarBlockSize) {
          head = Buffer.concat([head, chunk]);
          if (head.length >= tarBlockSize) {
            check();
            checked = true;
          }
        }
        callback(null, chunk);
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback) {
      try {
        if (!checked) check();
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
