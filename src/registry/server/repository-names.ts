/**
 * The registry's input grammar (OCI Distribution spec): repository names, tags, and the manifest
 * reference that is either. Pure; each check throws the spec's error code so the HTTP layer can answer
 * with it as is.
 */
import type { Digest } from '../../content/content-store.ts';
import { isDigest } from '../../content/digest.ts';
import { tagPattern } from '../../image/reference.ts';
import { registryError } from '../registry-errors.ts';

// The spec's name grammar: path components of lowercase alphanumerics joined by `.`, `_`, `__` or dashes.
const namePattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const maxNameLength = 255;

export function checkRepositoryName(name: string): string {
  if (name.length > maxNameLength) {
    throw registryError(
      'NAME_INVALID',
      `repository name is ${name.length} characters long; the limit is ${maxNameLength}`,
    );
  }
  if (!namePattern.test(name)) {
    throw registryError(
      'NAME_INVALID',
      `invalid repository name "${name}": use lowercase letters and digits in components separated by "/", joined within a component by ".", "_", "__" or "-"`,
    );
  }
  return name;
}

export function checkTag(tag: string): string {
  if (!tagPattern.test(tag)) {
    throw registryError(
      'TAG_INVALID',
      `invalid tag "${tag}": a tag is 1 to 128 of [A-Za-z0-9_.-] and does not start with "." or "-"`,
    );
  }
  return tag;
}

/** DIGEST_INVALID unless `value` is a sha256 digest (the only algorithm this registry stores). */
export function checkDigest(value: string): Digest {
  if (!isDigest(value)) {
    throw registryError(
      'DIGEST_INVALID',
      `invalid digest "${value}": expected sha256: followed by 64 lowercase hex characters (the only algorithm supported)`,
    );
  }
  return value;
}

export type ManifestReference = { tag: string } | { digest: Digest };

/** A manifest reference: a digest when it has an algorithm prefix, a tag otherwise. */
export function parseManifestReference(reference: string): ManifestReference {
  return reference.includes(':') ? { digest: checkDigest(reference) } : { tag: checkTag(reference) };
}
