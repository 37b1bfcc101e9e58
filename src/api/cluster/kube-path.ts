/**
 * Kubernetes' URL space, parsed: `/api/v1/...` for the core group and `/apis/GROUP/VERSION/...` for the
 * others, then `[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]]`. Pure. `namespaces/NS` is the namespace
 * itself when nothing follows it (or only `status`), and a scope when a resource follows.
 */
import { MarinaError } from '../../errors.ts';

export interface KubeTarget {
  /** '' for the core group. */
  group: string;
  version: string;
  namespace?: string;
  /** Absent for discovery (`/api/v1`, `/apis/apps/v1`). */
  resource?: string;
  name?: string;
  subresource?: string;
}

export function isKubePath(pathname: string): boolean {
  return pathname === '/api' || pathname === '/apis' || pathname.startsWith('/api/') || pathname.startsWith('/apis/');
}

export function parseKubePath(pathname: string): KubeTarget {
  const parts = pathname
    .split('/')
    .filter((p) => p.length > 0)
    .map(decode);
  const [root, ...rest] = parts;
  let group = '';
  let version: string | undefined;
  if (root === 'api') version = rest.shift();
  else if (root === 'apis') {
    group = rest.shift() ?? '';
    version = rest.shift();
  }
  if (!version) throw new MarinaError('NotFound', `${pathname} names no API version: try /api/v1 or /apis/apps/v1`);
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status') {
    const [, namespace, resource, name, subresource, ...extra] = rest;
    return checked(pathname, { group, version, namespace, resource, name, subresource }, extra);
  }
  const [resource, name, subresource, ...extra] = rest;
  return checked(pathname, { group, version, resource, name, subresource }, extra);
}

function checked(pathname: string, target: KubeTarget, extra: string[]): KubeTarget {
  if (extra.length > 0) throw new MarinaError('NotFound', `${pathname}: no such API path`);
  return Object.fromEntries(Object.entries(target).filter(([, v]) => v !== undefined)) as unknown as KubeTarget;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MarinaError('Invalid', `malformed URL path segment "${segment}"`);
  }
}
