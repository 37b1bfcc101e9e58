/**
 * `apply` for one object: create it, or update it carrying the resourceVersion read (again on a 409), or
 * leave it when nothing it declares differs. Unlike kubectl there is no last-applied annotation: labels
 * and annotations the manifest names are set and others kept; everything else is the manifest's.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import type { ResourceClient } from '../cluster/apiserver/resource-client.ts';
import { isMarinaError } from '../errors.ts';
import type { ManifestObject } from './cluster-manifests.ts';

export type ApplyResult = 'created' | 'configured' | 'unchanged';

/** How often a get-then-update retries when another writer got in between. */
const applyAttempts = 5;

/** Everything but metadata and status: what a manifest declares besides labels and annotations. */
function content(object: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

function mapsDeclaredEqual(declared: Record<string, string> | undefined, current: Record<string, string> | undefined): boolean {
  return Object.entries(declared ?? {}).every(([key, value]) => current?.[key] === value);
}

/**
 * The update body for `current` to become what the manifest declares, or undefined when it already is:
 * the manifest's content, its labels and annotations over the current ones, and what others own on the
 * object (owner references, finalizers) kept unless the manifest sets them.
 */
export function applyUpdate(manifest: ManifestObject, current: KubeObject): KubeObject | undefined {
  const declared = manifest.admitted.metadata;
  const meta = current.metadata;
  const unchanged =
    isDeepStrictEqual(content(manifest.admitted), content(current)) &&
    mapsDeclaredEqual(declared.labels, meta.labels) &&
    mapsDeclaredEqual(declared.annotations, meta.annotations);
  if (unchanged) return undefined;
  const body = manifest.body;
  return {
    ...body,
    metadata: {
      ...body.metadata,
      labels: merged(meta.labels, body.metadata.labels),
      annotations: merged(meta.annotations, body.metadata.annotations),
      ownerReferences: body.metadata.ownerReferences ?? meta.ownerReferences,
      finalizers: body.metadata.finalizers ?? meta.finalizers,
      resourceVersion: meta.resourceVersion,
    },
  };
}

function merged(current: Record<string, string> | undefined, declared: Record<string, string> | undefined): Record<string, string> | undefined {
  return current || declared ? { ...current, ...declared } : undefined;
}

/** Writes one object; warnings are the server's (fields it does not act on). */
export async function applyObject(client: ResourceClient, manifest: ManifestObject): Promise<{ result: ApplyResult; warnings: string[] }> {
  const { kind, namespace, name } = manifest;
  for (let attempt = 1; ; attempt++) {
    try {
      const current = await getIfExists(client, manifest);
      if (!current) {
        const written = await client.create(kind, namespace, manifest.body);
        return { result: 'created', warnings: written.warnings };
      }
      const update = applyUpdate(manifest, current);
      if (!update) return { result: 'unchanged', warnings: [] };
      const written = await client.update(kind, namespace, name, update);
      return { result: 'configured', warnings: written.warnings };
    } catch (err) {
      // A 409 is a write that lost a race (created meanwhile, or changed since the read): read again.
      if (!isMarinaError(err, 'Conflict') || attempt === applyAttempts) throw err;
    }
  }
}

async function getIfExists(client: ResourceClient, manifest: ManifestObject): Promise<KubeObject | undefined> {
  try {
    return await client.get(manifest.kind, manifest.namespace, manifest.name);
  } catch (err) {
    if (isMarinaError(err, 'NotFound')) return undefined;
    throw err;
  }
}
