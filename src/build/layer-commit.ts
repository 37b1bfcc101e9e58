/**
 * Turns a build step's snapshot into a layer: its diff (an OCI layer tar) is hashed for the diff ID,
 * gzipped into the content store, and the snapshot's upper becomes the unpacked layer in place (no
 * second unpack). A step that changed nothing makes no layer.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import type { ContentCollector } from '../content/content-collector.ts';
import type { ContentStore, Digest } from '../content/content-store.ts';
import { MediaType } from '../image/image-types.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';

export interface BuiltLayer {
  diffId: Digest;
  digest: Digest;
  size: number;
  mediaType: string;
}

/** An archive with no entries is its two zero end blocks. */
const emptyArchiveBytes = 1024;

export async function commitLayer(
  parts: { snapshotter: Snapshotter; content: ContentStore; collector: ContentCollector },
  key: string,
  record: (layer: BuiltLayer | undefined) => void,
): Promise<BuiltLayer | undefined> {
  const { snapshotter, content, collector } = parts;
  return collector.lease(async () => {
    const hash = createHash('sha256');
    let bytes = 0;
    let nonZero = false;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        bytes += chunk.length;
        if (!nonZero && chunk.some((b) => b !== 0)) nonZero = true;
        callback(null, chunk);
      },
    });
    // Level 1: a build's layers are written far more often than pushed, and it is several times faster.
    const gzip = createGzip({ level: constants.Z_BEST_SPEED });
    const [blob] = await Promise.all([content.ingest(gzip), pipeline(snapshotter.diff(key), measure, gzip)]);
    if (!nonZero && bytes <= emptyArchiveBytes) {
      await snapshotter.remove(key);
      record(undefined);
      return undefined;
    }
    const diffId: Digest = `sha256:${hash.digest('hex')}`;
    await snapshotter.commit(key, diffId);
    const layer = { diffId, digest: blob.digest, size: blob.size, mediaType: MediaType.OciLayerGzip };
    record(layer);
    return layer;
  });
}
