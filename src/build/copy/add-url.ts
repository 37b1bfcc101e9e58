/**
 * ADD https://…: the download is written like a COPY of a file named after the URL's last path segment,
 * mode 0600 (BuildKit's default for remote files), with the server's Last-Modified as its mtime. Never
 * unpacked, as in Docker.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MarinaError, invalid } from '../../errors.ts';
import { type CopyOptions, writeNewFile } from './copy-into-rootfs.ts';
import { fileNameOfUrl } from './destination.ts';

/** ADD https://…: downloads to dest (file name from the URL path when dest ends with /), mode 0600, mtime from Last-Modified. */
export async function addUrl(rootfs: string, url: string, options: CopyOptions, signal?: AbortSignal): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`ADD source ${JSON.stringify(url)} is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(`ADD cannot download ${url}: only http and https URLs are supported`);
  }
  let response: Response;
  try {
    response = await fetch(parsed, { redirect: 'follow', signal: signal ?? null });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new MarinaError('Unavailable', `ADD could not download ${url}: ${causeOf(err)}; check the URL and the network`, { cause: err });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw invalid(`ADD could not download ${url}: the server answered ${response.status} ${response.statusText}; check the URL`);
  }
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  await writeNewFile(rootfs, fileNameOfUrl(parsed), options, 0o600, lastModifiedOf(response), async (file) => {
    for await (const chunk of body) await file.write(chunk as Buffer);
  });
}

/** Seconds since the epoch from Last-Modified; undefined (the time of the download) when absent or unreadable. */
function lastModifiedOf(response: Response): number | undefined {
  const header = response.headers.get('last-modified');
  if (header === null) return undefined;
  const time = Date.parse(header);
  return Number.isNaN(time) ? undefined : time / 1000;
}

/** undici reports network failures as "fetch failed" with the real reason in `cause`. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : (err as Error).message;
}
