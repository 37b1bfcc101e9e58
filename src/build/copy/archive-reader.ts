/**
 * Opens a local file ADD may unpack: detects the compression, and streams the decompressed bytes — gzip
 * with node:zlib, bzip2 and xz through Debian's `bzip2 -dc` and `xz -dc`, which decompress far faster
 * than any JavaScript port.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MarinaError } from '../../errors.ts';
import { type Compression, compressionOf, isTarHeader, tarBlockSize } from './archive-format.ts';

/** The compression of `path` when it is a tar archive (compressed or not), undefined when it is not one. */
export async function archiveCompression(path: string): Promise<Compression | undefined> {
  const compression = compressionOf(await readHead(path, 8));
  const stream = openDecompressed(path, compression);
  try {
    return isTarHeader(await readPrefix(stream, tarBlockSize)) ? compression : undefined;
  } catch {
    // Not decompressible after all (e.g. a text file that happens to start with "BZh"): not an archive.
    return undefined;
  } finally {
    stream.destroy();
  }
}

/** The uncompressed bytes of `path`; destroying the stream stops any decompressor process. */
export function openDecompressed(path: string, compression: Compression): Readable {
  const file = () => createReadStream(path, { highWaterMark: 1024 * 1024 });
  switch (compression) {
    case 'none':
      return file();
    case 'gzip':
      // pipeline also closes the file when the reader stops early (archive detection reads one block).
      return pipeline(file(), createGunzip(), () => {});
    case 'bzip2':
    case 'xz':
      return decompressWith(compression, path);
  }
}

/** Streams `tool -dc path`; the stream ends only once the tool exited 0, so a truncated archive is an error. */
function decompressWith(tool: 'bzip2' | 'xz', path: string): Readable {
  const child = spawn(tool, ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  child.stdout.pipe(out, { end: false });
  child.on('error', (err: NodeJS.ErrnoException) => {
    const message =
      err.code === 'ENOENT' ? `${tool} is not installed; install it (Debian: apt-get install ${tool === 'xz' ? 'xz-utils' : 'bzip2'})` : err.message;
    out.destroy(new MarinaError('Unavailable', message, { cause: err }));
  });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new MarinaError('Invalid', `${tool} could not decompress ${path}: ${stderr.trim() || `exit ${code}`}`));
  });
  out.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return out;
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** Up to `length` bytes from the start of `stream` (fewer when it is shorter). */
async function readPrefix(stream: Readable, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
    if (total >= length) break;
  }
  return Buffer.concat(chunks).subarray(0, length);
}
