import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { compressionOf, HashingPassThrough, uncompressedStages } from './layer-stream.ts';

describe('compressionOf', () => {
  it('recognizes gzip and zstd by magic bytes, anything else as plain', () => {
    assert.equal(compressionOf(gzipSync('x')), 'gzip');
    assert.equal(compressionOf(zstdCompressSync('x')), 'zstd');
    assert.equal(compressionOf(Buffer.from('ustar')), 'none');
    assert.equal(compressionOf(Buffer.alloc(0)), 'none');
  });
});

describe('uncompressedStages', () => {
  const content = 'layer bytes '.repeat(20);
  for (const [label, blob] of [
    ['plain', Buffer.from(content)],
    ['gzip', gzipSync(content)],
    ['zstd', zstdCompressSync(content)],
  ] as const) {
    it(`yields the uncompressed bytes of a ${label} blob, even from 1-byte chunks`, async () => {
      const oneByteChunks = Readable.from([...blob].map((b) => Buffer.from([b])));
      const stages = await uncompressedStages(oneByteChunks);
      const hasher = new HashingPassThrough();
      const collected = text(hasher);
      await pipeline([...stages, hasher]);
      assert.equal(await collected, content);
      assert.equal(hasher.digest(), `sha256:${createHash('sha256').update(content).digest('hex')}`);
    });
  }

  it('yields nothing for an empty blob', async () => {
    const stages = await uncompressedStages(Readable.from([]));
    assert.equal(await text(stages[0]), '');
  });
});
