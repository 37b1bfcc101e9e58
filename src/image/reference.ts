/**
 * Image references, parsed and normalized the way Docker does, so that `busybox`, `library/busybox` and
 * `docker.io/library/busybox:latest` name the same image and users can type what they type for docker.
 */
import type { Digest } from '../content/content-store.ts';
import { isDigest } from '../content/digest.ts';
import { invalid } from '../errors.ts';

export const defaultDomain = 'docker.io';
export const defaultTag = 'latest';
const officialRepoPrefix = 'library/';
const maxNameLength = 255;

const pathComponentPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainPattern = new RegExp(
  `^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
/** The OCI Distribution spec's tag grammar, shared with the registry server. */
export const tagPattern = /^[\w][\w.-]{0,127}$/;
const idLikePattern = /^[a-f0-9]{64}$/;

export interface ImageReference {
  /** Registry host, with port when given: `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path below the domain: `library/busybox`, `a/b`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

/**
 * Parses and normalizes `input`: the Docker Hub domain and `library/` are filled in, and `latest` is the
 * tag when neither tag nor digest is given. Throws `Invalid` naming the offending part.
 */
export function parseReference(input: string): ImageReference {
  const ref = parseReferenceLoose(input);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = defaultTag;
  return ref;
}

/** Like `parseReference` but without a default tag: for `tag` targets or repository-only names. */
export function parseReferenceLoose(input: string): ImageReference {
  if (input.length === 0) throw invalid('invalid reference format: the reference is empty');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const digestPart = rest.slice(at + 1);
    if (!isDigest(digestPart)) {
      throw invalid(
        `invalid reference "${input}": digest "${digestPart}" must be sha256: followed by 64 lowercase hex characters`,
      );
    }
    digest = digestPart;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) {
      throw invalid(
        `invalid reference "${input}": tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`,
      );
    }
  }
  const { domain, path } = splitDomain(rest, input);
  if (idLikePattern.test(rest)) {
    throw invalid(
      `invalid reference "${input}": a repository name cannot be 64 hex characters (that is an image ID)`,
    );
  }
  for (const component of path.split('/')) {
    if (!pathComponentPattern.test(component)) {
      throw invalid(
        `invalid reference "${input}": repository path component "${component}" must be lowercase letters, digits and single separators (. _ __ -)`,
      );
    }
  }
  const name = `${domain}/${path}`;
  if (name.length > maxNameLength) {
    throw invalid(`invalid reference "${input}": repository name is longer than ${maxNameLength} characters`);
  }
  const ref: ImageReference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function splitDomain(name: string, input: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  // Docker's rule: the first component is a registry only if it looks like a host.
  const isHost =
    slash !== -1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (!isHost) {
    if (name.length === 0) throw invalid(`invalid reference "${input}": the repository name is empty`);
    return { domain: defaultDomain, path: name.includes('/') ? name : `${officialRepoPrefix}${name}` };
  }
  if (!domainPattern.test(first))
    throw invalid(`invalid reference "${input}": registry "${first}" is not a valid host[:port]`);
  const path = name.slice(slash + 1);
  if (first === defaultDomain || first === 'index.docker.io') {
    return { domain: defaultDomain, path: path.includes('/') ? path : `${officialRepoPrefix}${path}` };
  }
  return { domain: first, path };
}

/** `domain/path`, the repository without tag or digest. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalized form: `docker.io/library/busybox:latest`, `localhost:5000/a/b@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  return withTagAndDigest(repositoryName(ref), ref);
}

/** The short form people type and Docker displays: `busybox:latest`, `me/app:1`, `localhost:5000/a:b`. */
export function familiarName(ref: ImageReference): string {
  return withTagAndDigest(familiarRepository(ref), ref);
}

function withTagAndDigest(repository: string, ref: ImageReference): string {
  let out = repository;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** `busybox`, `me/app`, `localhost:5000/a`. */
export function familiarRepository(ref: ImageReference): string {
  if (ref.domain !== defaultDomain) return repositoryName(ref);
  const official =
    ref.path.startsWith(officialRepoPrefix) && !ref.path.slice(officialRepoPrefix.length).includes('/');
  return official ? ref.path.slice(officialRepoPrefix.length) : ref.path;
}

/** Normalizes a reference string in one step; throws like `parseReference`. */
export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

/** Familiar form of an already normalized (or any valid) reference string. */
export function familiarizeReference(input: string): string {
  return familiarName(parseReferenceLoose(input));
}
