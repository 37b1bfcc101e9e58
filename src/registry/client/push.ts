/**
 * `push`: uploads the layers and config a registry lacks (three at a time; small blobs in one PUT, big
 * ones streamed in one chunked PATCH then closed by PUT, as docker does), then PUTs the manifest bytes
 * exactly as stored, so that the registry's digest is the local one.
 */
import { Readable } from 'node:stream';
import type { ContentStore, Digest } from '../../content/content-store.ts';
import { MarinaError } from '../../errors.ts';
import { type Descriptor, MediaType } from '../../image/image-types.ts';
import { formatReference, parseReference } from '../../image/reference.ts';
import type { PushOptions, TransferProgress } from './image-transfer.ts';
import { registryErrorFromResponse } from './registry-error-body.ts';
import { type HttpResponse, readBody } from './registry-http.ts';
import { registryHost } from './registry-host.ts';
import type { RegistrySession } from './registry-session.ts';
import { forEachLimited, metered, shortDigest, type TransferContext } from './transfer-util.ts';

const blobConcurrency = 3;
/** Up to this size a blob goes in the closing PUT; bigger ones are streamed by PATCH first. */
const monolithicLimit = 16 * 1024 * 1024;

export async function pushImage(
  context: TransferContext,
  reference: string,
  options: PushOptions = {},
): Promise<{ digest: Digest; size: number }> {
  const { content } = context;
  const ref = parseReference(reference);
  const name = formatReference(ref);
  const record = await context.images.inspect(reference);
  const manifestBody = await content.read(record.manifestDigest);
  const report = options.onProgress ?? (() => {});
  const session = context.session({
    host: registryHost(ref.domain),
    scope: `repository:${ref.path}:pull,push`,
    credentials: options.credentials,
    signal: options.signal,
  });
  const uploader = new BlobUploader(session, content, ref.path, report);

  const layers = unique(record.manifest.layers);
  for (const layer of layers) report({ id: shortDigest(layer.digest), status: 'Preparing' });
  await forEachLimited([...layers, record.manifest.config], blobConcurrency, (blob) =>
    uploader.push(blob, layers.includes(blob)),
  );

  const tag = ref.tag ?? record.manifestDigest;
  const mediaType = record.manifest.mediaType ?? MediaType.OciManifest;
  const response = await session.request('PUT', `/v2/${ref.path}/manifests/${tag}`, {
    headers: { 'content-type': mediaType },
    body: () => manifestBody,
  });
  await expectStatus(response, 201, `push of the manifest of ${name}`);
  report({ status: `${tag}: digest: ${record.manifestDigest} size: ${manifestBody.length}` });
  context.logger.info({ reference: name, digest: record.manifestDigest }, 'image pushed');
  return { digest: record.manifestDigest, size: manifestBody.length };
}

class BlobUploader {
  private readonly session: RegistrySession;
  private readonly content: ContentStore;
  private readonly repository: string;
  private readonly report: (progress: TransferProgress) => void;

  constructor(
    session: RegistrySession,
    content: ContentStore,
    repository: string,
    report: (progress: TransferProgress) => void,
  ) {
    this.session = session;
    this.content = content;
    this.repository = repository;
    this.report = report;
  }

  /** `shown`: whether progress lines are emitted (layers are, the config is not, as in docker). */
  async push(blob: Descriptor, shown: boolean): Promise<void> {
    const id = shortDigest(blob.digest);
    const report = shown ? this.report : () => {};
    const head = await this.session.request('HEAD', this.blobPath(blob.digest), { followRedirects: true });
    head.body.resume();
    if (head.status === 200) {
      report({ id, status: 'Layer already exists' });
      return;
    }
    // A HEAD answer has no body to explain a 403; the POST below gets the same refusal with the registry's words.
    if (head.status !== 404 && head.status !== 403) await expectStatus(head, 200, `check of blob ${blob.digest}`);

    const started = await this.session.request('POST', `/v2/${this.repository}/blobs/uploads/`);
    await expectStatus(started, 202, `start of the upload of ${blob.digest}`);
    const location = uploadLocation(started);
    const body = () =>
      Readable.from(
        metered(this.content.openRead(blob.digest), 0, (current) =>
          report({ id, status: 'Pushing', current, total: blob.size }),
        ),
      );
    if (blob.size <= monolithicLimit) {
      location.searchParams.set('digest', blob.digest);
      const put = await this.session.request('PUT', location, {
        headers: { 'content-type': 'application/octet-stream', 'content-length': blob.size },
        body,
      });
      await expectStatus(put, 201, `upload of ${blob.digest}`);
    } else {
      // No Content-Length: node sends the stream chunked, one request for the whole blob.
      const patch = await this.session.request('PATCH', location, {
        headers: { 'content-type': 'application/octet-stream' },
        body,
      });
      await expectStatus(patch, 202, `upload of ${blob.digest}`);
      const done = uploadLocation(patch);
      done.searchParams.set('digest', blob.digest);
      const put = await this.session.request('PUT', done, { headers: { 'content-length': 0 } });
      await expectStatus(put, 201, `completion of the upload of ${blob.digest}`);
    }
    report({ id, status: 'Pushed' });
  }

  private blobPath(digest: Digest): string {
    return `/v2/${this.repository}/blobs/${digest}`;
  }
}

function uploadLocation(response: HttpResponse): URL {
  const location = response.headers.location;
  if (location === undefined) {
    throw new MarinaError('Unavailable', `${response.url.host} accepted an upload without saying where (no Location)`);
  }
  return new URL(location, response.url);
}

async function expectStatus(response: HttpResponse, status: number, what: string): Promise<void> {
  if (response.status === status) {
    response.body.resume();
    return;
  }
  const body = await readBody(response, 64 * 1024).catch(() => Buffer.alloc(0));
  throw registryErrorFromResponse(response.status, body.toString(), what);
}

function unique(blobs: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return blobs.filter((blob) => !seen.has(blob.digest) && seen.add(blob.digest));
}
