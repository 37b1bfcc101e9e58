/**
 * The registry's URL space (OCI Distribution v1.1 plus the token endpoint): which operation a path and
 * method name, and what access each needs. Repository names hold slashes, so a path is matched by its
 * fixed-shape suffix and the name is whatever comes before it (the greedy match, so a repository may
 * itself contain a `manifests` or `blobs` component). Names, digests and tags are validated by the
 * Distribution role, not here.
 */
import type { RegistryAction, RequiredAccess } from '../auth/authorizer.ts';

export type RegistryRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'token' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  /** `POST /v2/<name>/blobs/uploads/`: start (or monolithic, or mount). */
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; uuid: string }
  | { kind: 'referrers'; name: string; digest: string };

export type RouteKind = RegistryRoute['kind'];

/** Order matters: uploads before blobs, since `blobs/uploads/<uuid>` would otherwise read as a blob. */
const namedRoutes: { pattern: RegExp; route: (name: string, last: string) => RegistryRoute }[] = [
  { pattern: /^\/v2\/(.+)\/tags\/list$/, route: (name) => ({ kind: 'tags', name }) },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, route: (name) => ({ kind: 'uploads', name }) },
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    route: (name, uuid) => ({ kind: 'upload', name, uuid }),
  },
  { pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, route: (name, digest) => ({ kind: 'blob', name, digest }) },
  {
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    route: (name, reference) => ({ kind: 'manifest', name, reference }),
  },
  {
    pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/,
    route: (name, digest) => ({ kind: 'referrers', name, digest }),
  },
];

/** The operation a path names, or undefined when the registry has nothing there. */
export function parseRegistryPath(pathname: string): RegistryRoute | undefined {
  if (pathname === '/v2/' || pathname === '/v2') return { kind: 'base' };
  if (pathname === '/v2/_catalog') return { kind: 'catalog' };
  if (pathname === '/auth/token') return { kind: 'token' };
  for (const { pattern, route } of namedRoutes) {
    const match = pattern.exec(pathname);
    if (!match) continue;
    const name = decodeSegment(match[1]!);
    const last = match[2] === undefined ? '' : decodeSegment(match[2]);
    if (name === undefined || last === undefined) return undefined;
    return route(name, last);
  }
  return undefined;
}

/** Clients may escape the `:` of a digest; a malformed escape names nothing. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const methodsByKind: Record<RouteKind, readonly string[]> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET'],
  token: ['GET', 'POST'],
  tags: ['GET'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  uploads: ['POST'],
  upload: ['GET', 'PATCH', 'PUT', 'DELETE'],
  referrers: ['GET'],
};

export function allowedMethods(route: RegistryRoute): readonly string[] {
  return methodsByKind[route.kind];
}

const actionByMethod: Record<string, RegistryAction> = {
  GET: 'pull',
  HEAD: 'pull',
  PUT: 'push',
  POST: 'push',
  PATCH: 'push',
  DELETE: 'delete',
};

/**
 * What the caller must be granted before the operation runs; undefined for the token endpoint, which
 * authenticates by itself. A cross-repository mount also needs pull on its source: the server asks
 * that separately, since without it the request is still a valid upload start.
 */
export function requiredAccess(route: RegistryRoute, method: string): RequiredAccess | undefined {
  switch (route.kind) {
    case 'token':
      return undefined;
    case 'base':
      return { type: 'base' };
    case 'catalog':
      return { type: 'registry', name: 'catalog', actions: ['*'] };
    // Cancelling an upload is part of pushing (a push token carries pull,push, not delete).
    case 'uploads':
    case 'upload':
      return { type: 'repository', name: route.name, actions: ['push'] };
    default:
      return { type: 'repository', name: route.name, actions: [actionByMethod[method] ?? 'pull'] };
  }
}
