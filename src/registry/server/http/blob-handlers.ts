/**
 * Blob reads and deletes, and the upload protocol: POST starts (or, with `?digest=`, is a monolithic
 * upload, or with `?mount=&from=` a cross-repository mount), PATCH appends a chunk, PUT `?digest=`
 * finishes, GET reports progress, DELETE cancels. Bodies stream straight into the Distribution role.
 */
import { pipeline } from 'node:stream/promises';
import { registryError } from '../../registry-errors.ts';
import type { UploadStatus } from '../distribution.ts';
import { errorBody } from './error-encoding.ts';
import { type RegistryExchange, sendEmpty } from './exchange.ts';
import { contentRange, parseChunkRange, parseRangeRequest, uploadRange } from './http-ranges.ts';
import { hasBody } from './request-body.ts';

export async function handleBlob(ex: RegistryExchange, name: string, digest: string): Promise<void> {
  const { req, res, distribution } = ex;
  if (req.method === 'DELETE') {
    await distribution.deleteBlob(name, digest);
    sendEmpty(res, 202, { 'docker-content-digest': digest });
    return;
  }
  const blob = await distribution.statBlob(name, digest);
  const headers = {
    'content-type': 'application/octet-stream',
    'docker-content-digest': blob.digest,
    'accept-ranges': 'bytes',
    etag: `"${blob.digest}"`,
    // Content-addressed: the bytes behind a digest never change.
    'cache-control': 'max-age=31536000',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'content-length': blob.size });
    res.end();
    return;
  }
  const range = parseRangeRequest(req.headers.range, blob.size);
  if (range === 'unsatisfiable') {
    const body = errorBody(
      'RANGE_INVALID',
      `Range "${req.headers.range}" lies outside the blob's ${blob.size} bytes`,
    );
    res.writeHead(416, {
      'content-type': 'application/json',
      'content-range': `bytes */${blob.size}`,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  if (range === undefined) res.writeHead(200, { ...headers, 'content-length': blob.size });
  else {
    res.writeHead(206, {
      ...headers,
      'content-length': range.end - range.start + 1,
      'content-range': contentRange(range, blob.size),
    });
  }
  await pipeline(distribution.openBlob(name, digest, range), res);
}

function blobLocation(name: string, digest: string): string {
  return `/v2/${name}/blobs/${digest}`;
}

function sendBlobCreated(ex: RegistryExchange, name: string, digest: string): void {
  sendEmpty(ex.res, 201, { location: blobLocation(name, digest), 'docker-content-digest': digest });
}

function sendUploadProgress(ex: RegistryExchange, status: number, upload: UploadStatus): void {
  sendEmpty(ex.res, status, {
    location: `/v2/${upload.repository}/blobs/uploads/${upload.uuid}`,
    range: uploadRange(upload.offset),
    'docker-upload-uuid': upload.uuid,
  });
}

/** `POST /v2/<name>/blobs/uploads/`. */
export async function handleUploadStart(ex: RegistryExchange, name: string): Promise<void> {
  const { query, distribution } = ex;
  const mount = query.get('mount');
  const from = query.get('from');
  // Without pull on the source, or when the source lacks the blob, the spec's answer is a plain upload.
  if (mount && from && (await ex.mayPull(from))) {
    const mounted = await distribution.mountBlob(name, from, mount);
    if (mounted) {
      sendBlobCreated(ex, name, mounted.digest);
      return;
    }
  }
  const upload = await distribution.startUpload(name);
  const digest = query.get('digest');
  if (digest === null || mount) {
    sendUploadProgress(ex, 202, upload);
    return;
  }
  try {
    const blob = await distribution.completeUpload(name, upload.uuid, digest, ex.req);
    sendBlobCreated(ex, name, blob.digest);
  } catch (err) {
    // A failed monolithic upload has no URL the client knows of: drop it now rather than leave it to expire.
    await distribution.cancelUpload(name, upload.uuid).catch(() => {});
    throw err;
  }
}

/** `GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<uuid>`. */
export async function handleUpload(ex: RegistryExchange, name: string, uuid: string): Promise<void> {
  const { req, res, query, distribution } = ex;
  switch (req.method) {
    case 'GET':
      sendUploadProgress(ex, 204, await distribution.uploadStatus(name, uuid));
      return;
    case 'PATCH': {
      // skopeo streams chunked with no Content-Range: then the chunk simply goes at the end.
      const range = parseChunkRange(req.headers['content-range']);
      sendUploadProgress(ex, 202, await distribution.appendUpload(name, uuid, req, range?.start));
      return;
    }
    case 'PUT': {
      const digest = query.get('digest');
      if (!digest) {
        throw registryError(
          'DIGEST_INVALID',
          `finishing upload ${uuid} needs ?digest=sha256:<hex> naming the whole blob's digest`,
        );
      }
      // docker sends its last chunk by PATCH and finishes with an empty PUT.
      const blob = await distribution.completeUpload(name, uuid, digest, hasBody(req) ? req : undefined);
      sendBlobCreated(ex, name, blob.digest);
      return;
    }
    default:
      await distribution.cancelUpload(name, uuid);
      sendEmpty(res, 204);
  }
}
