/**
 * `pull`: resolves a reference to one image manifest (picking the platform from an index), then, under
 * the collector's lease, stores manifest and config, downloads the layers three at a time (resumable,
 * verified) and records the image. Nothing is recorded unless every blob checked out.
 */
import type { ContentCollector } from '../../content/content-collector.ts';
import type { Digest } from '../../content/content-store.ts';
import { invalid, isMarinaError } from '../../errors.ts';
import { decodeIndex, decodeManifest, isIndexMediaType } from '../../image/image-json.ts';
import type { Descriptor, ImageRecord } from '../../image/image-types.ts';
import { familiarizeReference, formatReference, parseReference } from '../../image/reference.ts';
import { downloadBlob } from './blob-download.ts';
import type { PullOptions } from './image-transfer.ts';
import { fetchManifest } from './manifest-fetch.ts';
import { hostPlatform, parsePlatform, selectPlatformManifest } from '../../image/platform.ts';
import { registryErrorFromResponse } from './registry-error-body.ts';
import { readBody } from './registry-http.ts';
import { registryHost } from './registry-host.ts';
import { forEachLimited, shortDigest, type TransferContext } from './transfer-util.ts';

/** A pull also writes blobs, under the collector's lease. */
export interface PullContext extends TransferContext {
  collector: ContentCollector;
}

const layerConcurrency = 3;
/** Configs are small JSON documents; a bigger one is a broken or hostile registry. */
const maxConfigBytes = 8 * 1024 * 1024;

export async function pullImage(
  context: PullContext,
  reference: string,
  options: PullOptions = {},
): Promise<{ image: ImageRecord; digest: Digest }> {
  const { content, images } = context;
  const ref = parseReference(reference);
  const name = formatReference(ref);
  const repository = ref.path;
  const report = options.onProgress ?? (() => {});
  const session = context.session({
    host: registryHost(ref.domain),
    scope: `repository:${repository}:pull`,
    credentials: options.credentials,
    signal: options.signal,
  });
  const source = `${ref.domain}/${repository}`;

  const top = await fetchManifest(session, repository, ref.digest ?? (ref.tag as string), familiarizeReference(name));
  let chosen = top;
  if (isIndexMediaType(top.mediaType)) {
    const index = decodeIndex(top.body, `image index of ${name}`);
    const wanted = options.platform !== undefined ? parsePlatform(options.platform) : hostPlatform();
    const descriptor = selectPlatformManifest(index.manifests, wanted, familiarizeReference(name));
    chosen = await fetchManifest(session, repository, descriptor.digest, familiarizeReference(name));
    if (isIndexMediaType(chosen.mediaType)) {
      throw invalid(`${name}: the index entry ${descriptor.digest} is itself an index; pull it by digest instead`);
    }
  }
  const manifest = decodeManifest(chosen.body, `image manifest of ${name}`);
  const previous = await images.inspect(name).catch((err: unknown) => {
    if (isMarinaError(err, 'NotFound')) return undefined;
    throw err;
  });

  const blobGet = (digest: Digest, start = 0) =>
    session.request('GET', `/v2/${repository}/blobs/${digest}`, {
      headers: start > 0 ? { range: `bytes=${start}-` } : {},
      followRedirects: true,
    });

  const image = await context.collector.lease(async () => {
    await content.write(chosen.body, { digest: chosen.digest });
    if (!(await content.has(manifest.config.digest))) {
      const response = await blobGet(manifest.config.digest);
      const body = await readBody(response, maxConfigBytes);
      if (response.status !== 200) {
        throw registryErrorFromResponse(response.status, body.toString(), `download of the config of ${name}`);
      }
      await content.write(body, { digest: manifest.config.digest, size: manifest.config.size });
    }
    const missing: Descriptor[] = [];
    for (const layer of manifest.layers) {
      const present = await content.has(layer.digest);
      report({ id: shortDigest(layer.digest), status: present ? 'Already exists' : 'Pulling fs layer' });
      if (!present) missing.push(layer);
    }
    await forEachLimited(missing, layerConcurrency, async (layer) => {
      const id = shortDigest(layer.digest);
      await downloadBlob({
        content,
        descriptor: layer,
        fetch: (start) => blobGet(layer.digest, start),
        onBytes: (current, total) => report({ id, status: 'Downloading', current, total }),
        source,
        signal: options.signal,
      });
      report({ id, status: 'Download complete' });
    });
    return images.registerPulled(chosen.digest, name);
  });

  report({ status: `Digest: ${top.digest}` });
  const upToDate = previous?.manifestDigest === chosen.digest;
  const shown = familiarizeReference(name);
  report({ status: upToDate ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}` });
  context.logger.info({ reference: name, digest: top.digest, layers: manifest.layers.length }, 'image pulled');
  return { image, digest: top.digest };
}
