/**
 * Fetching a manifest or index by tag or digest, with Accept for every type Marina reads, and checking
 * that its bytes hash to what was asked for (a digest reference) and to what the registry says
 * (`Docker-Content-Digest`). Docker schema 1 manifests are refused.
 */
import type { Digest } from '../../content/content-store.ts';
import { isDigest, sha256Digest } from '../../content/digest.ts';
import { MarinaError } from '../../errors.ts';
import { MediaType } from '../../image/image-types.ts';
import { registryErrorFromResponse } from './registry-error-body.ts';
import { readBody } from './registry-http.ts';
import type { RegistrySession } from './registry-session.ts';

export const acceptedManifestTypes = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
];

const schema1MediaTypes = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/** The spec lets registries refuse bigger manifests; Marina refuses to read them too. */
const maxManifestBytes = 4 * 1024 * 1024;

export interface FetchedManifest {
  body: Buffer;
  digest: Digest;
  mediaType: string;
}

/** `name` is the reference as the user wrote it, for messages. */
export async function fetchManifest(
  session: RegistrySession,
  repository: string,
  tagOrDigest: string,
  name: string,
): Promise<FetchedManifest> {
  const response = await session.request('GET', `/v2/${repository}/manifests/${tagOrDigest}`, {
    headers: { accept: acceptedManifestTypes.join(', ') },
  });
  const body = await readBody(response, maxManifestBytes);
  if (response.status !== 200) {
    const context = response.status === 404 ? `manifest for ${name} not found` : `pull of ${name}`;
    throw registryErrorFromResponse(response.status, body.toString(), context);
  }
  const digest = sha256Digest(body);
  if (isDigest(tagOrDigest) && tagOrDigest !== digest) {
    throw new MarinaError('Invalid', `${session.host} sent a manifest for ${tagOrDigest} whose bytes hash to ${digest}`);
  }
  const announced = response.headers['docker-content-digest'];
  if (typeof announced === 'string' && announced.startsWith('sha256:') && announced !== digest) {
    throw new MarinaError('Invalid', `${session.host} sent manifest ${announced} for ${name} but its bytes hash to ${digest}`);
  }
  const mediaType = mediaTypeOf(body) ?? response.headers['content-type']?.split(';')[0]?.trim() ?? '';
  if (schema1MediaTypes.has(mediaType) || schemaVersionOf(body) === 1) {
    throw new MarinaError(
      'Unsupported',
      `${name} is stored as a Docker schema 1 manifest, which Marina does not read; push it again with a current client`,
    );
  }
  return { body, digest, mediaType };
}

function parsed(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString());
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function mediaTypeOf(body: Buffer): string | undefined {
  const value = parsed(body)?.mediaType;
  return typeof value === 'string' ? value : undefined;
}

function schemaVersionOf(body: Buffer): unknown {
  return parsed(body)?.schemaVersion;
}
