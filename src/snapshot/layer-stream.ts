/**
 * Turns a stored layer blob into its uncompressed tar stream while hashing it, so that the diff ID (sha256
 * of the uncompressed tar) is verified in the same pass that unpacks the layer.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';

export type Compression = 'gzip' | 'zstd' | 'none';

/**
 * Decides by magic bytes rather than by media type: registries and `docker save` tarballs are known to
 * label gzip blobs as plain tar and the reverse, while the first bytes never lie.
 */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** Passes bytes through unchanged and hashes them. */
export class HashingPassThrough extends Transform {
  readonly #hash: Hash = createHash('sha256');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  /** `sha256:<hex>` of everything that passed; call once, after the stream ended. */
  digest(): `sha256:${string}` {
    return `sha256:${this.#hash.digest('hex')}`;
  }
}

/**
 * Peeks at the blob's first bytes and returns the pipeline stages that produce its uncompressed bytes:
 * the blob itself (with the peeked bytes put back in front), then a decompressor when one is needed.
 */
export async function uncompressedStages(blob: Readable): Promise<[Readable] | [Readable, Transform]> {
  const chunks = blob[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const peeked: Buffer[] = [];
  let done = false;
  // The magic numbers are at most 4 bytes long; a first chunk that short is legal, so gather until enough.
  while (!done && Buffer.concat(peeked).length < 4) {
    const next = await chunks.next();
    if (next.done) done = true;
    else peeked.push(next.value);
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* peeked;
    if (done) return;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  const source = Readable.from(replay(), { objectMode: false });
  const compression = compressionOf(Buffer.concat(peeked));
  if (compression === 'gzip') return [source, createGunzip()];
  if (compression === 'zstd') return [source, createZstdDecompress()];
  return [source];
}
