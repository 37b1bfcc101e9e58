import assert from 'node:assert/strict';
import { test } from 'node:test';
import tar from 'tar-stream';
import { compressionOf, isTarHeader } from './archive-format.ts';

async function tarBytes(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'hello.txt' }, 'hi\n');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('compression is recognised by magic bytes', () => {
  assert.equal(compressionOf(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
  assert.equal(compressionOf(Buffer.from('BZh91AY')), 'bzip2');
  assert.equal(compressionOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0])), 'xz');
  assert.equal(compressionOf(Buffer.from('plain text')), 'none');
  assert.equal(compressionOf(Buffer.alloc(0)), 'none');
});

test('a tar header is recognised by its checksum, not by its name', async () => {
  const archive = await tarBytes();
  assert.equal(isTarHeader(archive.subarray(0, 512)), true);
  const corrupted = Buffer.from(archive.subarray(0, 512));
  corrupted[0] = (corrupted[0] as number) ^ 1;
  assert.equal(isTarHeader(corrupted), false);
  assert.equal(isTarHeader(Buffer.alloc(512)), false, 'an empty archive has nothing to unpack');
  assert.equal(isTarHeader(Buffer.from('not a tar file')), false);
});
