/**
 * What the registry must know about a pushed manifest before storing it: which kind it is (OCI or
 * Docker v2 image manifest, OCI index or Docker manifest list), which blobs and child manifests it names
 * (they must already be in the repository), its subject (for referrers) and its artifact type. Pure: the
 * caller checks presence. The bytes are never re-encoded; the digest is of the bytes as pushed.
 */
import { z } from 'zod';
import type { Digest } from '../../content/content-store.ts';
import { isDigest } from '../../content/digest.ts';
import { isMarinaError } from '../../errors.ts';
import { decodeIndex, decodeManifest } from '../../image/image-json.ts';
import { type Descriptor, MediaType } from '../../image/image-types.ts';
import { registryError } from '../registry-errors.ts';

/** The spec lets registries cap manifests; 4 MiB is what distribution and most registries accept. */
export const maxManifestBytes = 4 * 1024 * 1024;

const imageManifestTypes: readonly string[] = [MediaType.OciManifest, MediaType.DockerManifest];
const indexTypes: readonly string[] = [MediaType.OciIndex, MediaType.DockerManifestList];

export interface CheckedManifest {
  mediaType: string;
  /** Config and layers of an image manifest: blobs that must be linked to the repository. */
  blobs: Descriptor[];
  /** Entries of an index: manifests that must exist in the repository. */
  manifests: Descriptor[];
  subject?: Digest;
  /** The manifest's artifactType, else its config's media type: what referrers report and filter on. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

// Fields beyond the image shape (decoded by image-json) that referrers need.
const referrerFieldsSchema = z.looseObject({
  artifactType: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  subject: z
    .looseObject({
      mediaType: z.string(),
      digest: z.string().refine(isDigest, 'expected sha256:<64 hex>'),
      size: z.number().int().nonnegative(),
    })
    .optional(),
});

/** Strips parameters (`; charset=utf-8`) and case from a Content-Type. */
export function baseMediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Validates `body` pushed with Content-Type `contentType`; MANIFEST_TOO_LARGE over the limit,
 * MANIFEST_INVALID for anything malformed, unsupported, or whose mediaType contradicts the Content-Type.
 */
export function checkManifest(contentType: string, body: Buffer): CheckedManifest {
  if (body.length > maxManifestBytes) {
    throw registryError(
      'MANIFEST_TOO_LARGE',
      `manifest is ${body.length} bytes; the limit is ${maxManifestBytes} (4 MiB): move data into blobs`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw registryError('MANIFEST_INVALID', `manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw registryError('MANIFEST_INVALID', 'manifest must be a JSON object');
  }
  const declared = (json as { mediaType?: unknown }).mediaType;
  if (declared !== undefined && typeof declared !== 'string') {
    throw registryError('MANIFEST_INVALID', 'manifest field mediaType must be a string');
  }
  const requested = baseMediaType(contentType);
  if (declared !== undefined && requested !== '' && declared !== requested) {
    throw registryError(
      'MANIFEST_INVALID',
      `manifest mediaType "${declared}" does not match the request's Content-Type "${requested}": send the manifest with Content-Type ${declared}`,
    );
  }
  const mediaType = declared ?? requested;
  const fields = decodeOrInvalid(() => referrerFieldsSchema.parse(json));

  if (indexTypes.includes(mediaType)) {
    const index = decodeOrInvalid(() => decodeIndex(body, 'manifest index'));
    return withReferrerFields({ mediaType, blobs: [], manifests: index.manifests }, fields, undefined);
  }
  if (imageManifestTypes.includes(mediaType)) {
    const manifest = decodeOrInvalid(() => decodeManifest(body, 'manifest'));
    const blobs = [manifest.config, ...manifest.layers];
    return withReferrerFields({ mediaType, blobs, manifests: [] }, fields, manifest.config.mediaType);
  }
  throw registryError(
    'MANIFEST_INVALID',
    `unsupported manifest media type "${mediaType || '(none)'}": use one of ${[...imageManifestTypes, ...indexTypes].join(', ')}`,
  );
}

function withReferrerFields(
  checked: CheckedManifest,
  fields: z.infer<typeof referrerFieldsSchema>,
  configMediaType: string | undefined,
): CheckedManifest {
  const artifactType = fields.artifactType ?? configMediaType;
  if (artifactType !== undefined) checked.artifactType = artifactType;
  if (fields.subject) checked.subject = fields.subject.digest as Digest;
  if (fields.annotations) checked.annotations = fields.annotations;
  return checked;
}

function decodeOrInvalid<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof z.ZodError) {
      const issue = err.issues[0];
      throw registryError(
        'MANIFEST_INVALID',
        `manifest is malformed: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown problem'}`,
      );
    }
    if (isMarinaError(err, 'Invalid')) throw registryError('MANIFEST_INVALID', err.message);
    throw err;
  }
}
