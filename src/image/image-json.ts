/**
 * Decoding of the JSON documents an image is made of (manifests, indexes, configs, docker-save
 * manifest.json). Only the fields Marina relies on are checked; everything else passes through, so a
 * document saved again is byte-for-byte what was loaded (blobs are stored as received, never re-encoded).
 */
import { z } from 'zod';
import { isDigest } from '../content/digest.ts';
import { invalid } from '../errors.ts';
import type { ImageConfig, ImageIndex, ImageManifest } from './image-types.ts';

const digestSchema = z.string().refine(isDigest, 'expected sha256:<64 hex>');

const descriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest: digestSchema,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z
    .looseObject({ architecture: z.string(), os: z.string(), variant: z.string().optional() })
    .optional(),
});

const manifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});

const indexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
});

const configSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  rootfs: z.looseObject({ type: z.literal('layers'), diff_ids: z.array(digestSchema) }),
});

const dockerSaveManifestSchema = z.array(
  z.looseObject({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullable().optional(),
    Layers: z.array(z.string()),
  }),
);

export interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null | undefined;
  Layers: string[];
}

function decode<T>(schema: z.ZodType<T>, data: Buffer | string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch (err) {
    throw invalid(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalid(
      `${what} is malformed: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown problem'}`,
    );
  }
  return result.data;
}

export const decodeManifest = (data: Buffer | string, what = 'image manifest'): ImageManifest =>
  decode(manifestSchema, data, what) as ImageManifest;
export const decodeIndex = (data: Buffer | string, what = 'image index'): ImageIndex =>
  decode(indexSchema, data, what) as ImageIndex;
export const decodeConfig = (data: Buffer | string, what = 'image config'): ImageConfig =>
  decode(configSchema, data, what) as ImageConfig;
export const decodeDockerSaveManifest = (data: Buffer | string): DockerSaveEntry[] =>
  decode(dockerSaveManifestSchema, data, 'manifest.json');

/** Whether a descriptor or document media type names an index (OCI or Docker manifest list). */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return (
    mediaType === 'application/vnd.oci.image.index.v1+json' ||
    mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json'
  );
}

/** Canonical JSON bytes for documents Marina creates itself (stable key order as written). */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
