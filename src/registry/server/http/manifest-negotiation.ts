/**
 * Content negotiation for manifest GET/HEAD, as distribution does it: an OCI manifest or index is served
 * only to a client whose Accept names it (or a wildcard), since an old Docker client would misread it;
 * Docker schema 2 types are served to everyone (every client that reads OCI reads those too). Unlike
 * distribution, a request with no Accept at all (curl) gets whatever is stored.
 */
import { MediaType } from '../../../image/image-types.ts';

const negotiatedTypes: ReadonlySet<string> = new Set([MediaType.OciManifest, MediaType.OciIndex]);

/** The media types an Accept header lists, lowercased, without parameters (node joins repeated headers with commas). */
export function acceptedTypes(accept: string | undefined): string[] {
  if (accept === undefined) return [];
  return accept
    .split(',')
    .map((part) => part.split(';')[0]!.trim().toLowerCase())
    .filter((type) => type !== '');
}

export function acceptsManifest(accept: string | undefined, storedType: string): boolean {
  if (!negotiatedTypes.has(storedType)) return true;
  const types = acceptedTypes(accept);
  if (types.length === 0) return true;
  return types.some((type) => type === storedType || type === '*/*' || type === 'application/*');
}
