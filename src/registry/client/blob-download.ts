/**
 * Downloads one blob into the content store through a named ingest (`pull-<hex>`), so that bytes that
 * arrived before a cut connection or a daemon restart are kept: the next attempt asks for the rest with
 * `Range: bytes=<offset>-`. A registry that answers 200 instead of 206 gets the ingest restarted. The
 * blob becomes visible only when its digest and size check out; a mismatch is retried once from scratch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContentStore, ContentWriter } from '../../content/content-store.ts';
import { digestHex } from '../../content/digest.ts';
import { isMarinaError, MarinaError } from '../../errors.ts';
import type { Descriptor } from '../../image/image-types.ts';
import { registryErrorFromResponse } from './registry-error-body.ts';
import { type HttpResponse, readBody } from './registry-http.ts';
import { metered } from './transfer-util.ts';

export interface BlobDownload {
  content: ContentStore;
  descriptor: Descriptor;
  /** GET of the blob, from byte `start` on when it is not 0. */
  fetch: (start: number) => Promise<HttpResponse>;
  /** Bytes held so far, throttled. */
  onBytes: (current: number, total: number) => void;
  /** Names the blob in errors, e.g. `localhost:5000/a`. */
  source: string;
  signal?: AbortSignal | undefined;
}

/** Connection failures worth resuming after; anything else (disk full, bad status) fails at once. */
const transientCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_TRUNCATED']);
const maxResumes = 5;

/** Resolves when the blob is in the content store (maybe put there by a concurrent pull of the same blob). */
export async function downloadBlob(job: BlobDownload): Promise<void> {
  const { descriptor } = job;
  const ref = `pull-${digestHex(descriptor.digest)}`;
  let resumes = 0;
  let restartedAfterMismatch = false;
  for (;;) {
    const writer = await openWriterWhenFree(job, ref);
    if (writer === undefined) return;
    let committing = false;
    try {
      if (writer.offset() > descriptor.size) {
        await discard(job, writer, ref);
        continue;
      }
      if (writer.offset() < descriptor.size && !(await fill(job, writer))) {
        await discard(job, writer, ref);
        continue;
      }
      committing = true;
      await writer.commit({ digest: descriptor.digest, size: descriptor.size });
      return;
    } catch (err) {
      // A failed commit has already dropped the ingest; otherwise the bytes stay for a resume.
      if (!committing) await writer.close().catch(() => {});
      if (committing && isMarinaError(err, 'Invalid') && !restartedAfterMismatch) {
        restartedAfterMismatch = true;
        continue;
      }
      if (!committing && isTransient(err) && resumes < maxResumes && !job.signal?.aborted) {
        resumes += 1;
        continue;
      }
      if (committing && isMarinaError(err, 'Invalid')) {
        throw new MarinaError('Invalid', `blob ${descriptor.digest} from ${job.source} is corrupt: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
  }
}

/**
 * Appends the missing bytes. False when the registry ignored the Range (a whole blob came back): the
 * caller restarts the ingest from zero.
 */
async function fill(job: BlobDownload, writer: ContentWriter): Promise<boolean> {
  const start = writer.offset();
  const response = await job.fetch(start);
  if (response.status !== 200 && response.status !== 206) {
    const body = await readBody(response, 64 * 1024).catch(() => Buffer.alloc(0));
    throw registryErrorFromResponse(response.status, body.toString(), `download of ${job.descriptor.digest} from ${job.source}`);
  }
  if (start > 0 && !(response.status === 206 && rangeStart(response) === start)) {
    response.body.resume();
    return false;
  }
  const total = job.descriptor.size;
  await writer.append(metered(response.body, start, (current) => job.onBytes(current, total)));
  if (writer.offset() < total) {
    throw Object.assign(new Error(`connection ended after ${writer.offset()} of ${total} bytes`), {
      code: 'ERR_TRUNCATED',
    });
  }
  return true;
}

function rangeStart(response: HttpResponse): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.headers['content-range'] ?? '');
  return match ? Number(match[1]) : undefined;
}

async function discard(job: BlobDownload, writer: ContentWriter, ref: string): Promise<void> {
  await writer.close();
  await job.content.abortIngest(ref);
}

/** Another pull of the same blob holds the ingest: wait for it, and stop if it stored the blob. */
async function openWriterWhenFree(job: BlobDownload, ref: string): Promise<ContentWriter | undefined> {
  for (;;) {
    if (await job.content.has(job.descriptor.digest)) return undefined;
    try {
      return await job.content.openWriter(ref);
    } catch (err) {
      if (!isMarinaError(err, 'Conflict')) throw err;
      await sleep(200, undefined, { signal: job.signal });
    }
  }
}

function isTransient(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && transientCodes.has(code);
}
