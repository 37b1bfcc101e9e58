/** Manifests (GET/HEAD/PUT/DELETE by tag or digest), tag listing, the catalog and the referrers API. */
import { MediaType } from '../../../image/image-types.ts';
import { registryError } from '../../registry-errors.ts';
import { type RegistryExchange, sendEmpty, sendJson } from './exchange.ts';
import { acceptsManifest } from './manifest-negotiation.ts';
import { nextPageLink, parsePageQuery } from './pagination.ts';
import { readBounded } from './request-body.ts';

/** The spec's floor for what a registry must accept, and the ceiling Marina keeps. */
export const maxManifestBytes = 4 * 1024 * 1024;

export async function handleManifest(ex: RegistryExchange, name: string, reference: string): Promise<void> {
  const { req, res, distribution } = ex;
  switch (req.method) {
    case 'PUT': {
      const body = await readBounded(req, maxManifestBytes);
      if (body === 'too-large') {
        throw registryError(
          'MANIFEST_TOO_LARGE',
          `the manifest for ${name}:${reference} is larger than ${maxManifestBytes} bytes; split it (an index of smaller manifests)`,
        );
      }
      const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const stored = await distribution.putManifest(name, reference, mediaType, body);
      sendEmpty(res, 201, {
        location: `/v2/${name}/manifests/${stored.digest}`,
        'docker-content-digest': stored.digest,
        ...(stored.subject === undefined ? {} : { 'oci-subject': stored.subject }),
      });
      return;
    }
    case 'DELETE':
      await distribution.deleteManifest(name, reference);
      sendEmpty(res, 202);
      return;
    default: {
      const manifest = await distribution.getManifest(name, reference);
      if (!acceptsManifest(req.headers.accept, manifest.mediaType)) {
        throw registryError(
          'MANIFEST_UNKNOWN',
          `${name}:${reference} is a ${manifest.mediaType}, which the request's Accept header does not list; accept that type to get it`,
        );
      }
      res.writeHead(200, {
        'content-type': manifest.mediaType,
        'content-length': manifest.body.length,
        'docker-content-digest': manifest.digest,
        etag: `"${manifest.digest}"`,
      });
      res.end(req.method === 'HEAD' ? undefined : manifest.body);
    }
  }
}

export async function handleTags(ex: RegistryExchange, name: string): Promise<void> {
  const page = parsePageQuery(ex.query);
  const tags = await ex.distribution.listTags(name, page);
  const link =
    tags.next === undefined ? {} : { link: nextPageLink(`/v2/${name}/tags/list`, page.n, tags.next) };
  sendJson(ex.res, 200, { name, tags: tags.items }, link);
}

export async function handleCatalog(ex: RegistryExchange): Promise<void> {
  const page = parsePageQuery(ex.query);
  const repositories = await ex.distribution.catalog(page);
  const link =
    repositories.next === undefined ? {} : { link: nextPageLink('/v2/_catalog', page.n, repositories.next) };
  sendJson(ex.res, 200, { repositories: repositories.items }, link);
}

export async function handleReferrers(ex: RegistryExchange, name: string, digest: string): Promise<void> {
  const artifactType = ex.query.get('artifactType') || undefined;
  const index = await ex.distribution.referrers(name, digest, artifactType);
  const filtered = artifactType === undefined ? {} : { 'oci-filters-applied': 'artifactType' };
  sendJson(ex.res, 200, index, filtered, MediaType.OciIndex);
}
