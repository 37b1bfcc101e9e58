/** Transparent gunzip for inputs that may or may not be gzip, decided by the magic bytes. */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Returns the uncompressed byte stream of `source`, which is read lazily and not buffered beyond its first chunk. */
export async function decompressIfGzip(source: AsyncIterable<Buffer>): Promise<Readable> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.done) return;
    yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const raw = Readable.from(replay(), { objectMode: false });
  if (first.done || !isGzip(first.value)) return raw;
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}
