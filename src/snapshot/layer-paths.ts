/**
 * Pure decisions about where a layer tar entry may go. Everything here is lexical: the file-system checks
 * (no parent is a symlink) happen in apply-layer.ts, on the normalized paths these functions return.
 */
import { invalid } from '../errors.ts';

/**
 * Normalizes a tar entry name to a path relative to the layer root, without `.` or empty segments; `''`
 * is the root itself. A leading `/` is stripped as Docker does; a `..` that climbs above the root is refused.
 */
export function normalizeLayerPath(name: string, what = 'layer entry'): string {
  if (name.includes('\0')) throw invalid(`${what} ${JSON.stringify(name)} contains a NUL byte`);
  const kept: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (kept.length === 0) throw invalid(`${what} ${JSON.stringify(name)} escapes the layer root`);
      kept.pop();
      continue;
    }
    kept.push(segment);
  }
  return kept.join('/');
}

/** The ancestors of a normalized path, outermost first: `a/b/c` → `a`, `a/b`. */
export function ancestorsOf(path: string): string[] {
  const result: string[] = [];
  let slash = path.indexOf('/');
  while (slash !== -1) {
    result.push(path.slice(0, slash));
    slash = path.indexOf('/', slash + 1);
  }
  return result;
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

export function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinLayerPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

const whiteoutPrefix = '.wh.';
const opaqueMarker = '.wh..wh..opq';

/** What an entry named in the whiteout convention (OCI image spec, "Whiteouts") asks for. */
export type WhiteoutMeaning =
  /** Hide `path` of the lower layers: an overlay whiteout (0/0 character device) named `path`. */
  | { kind: 'whiteout'; path: string }
  /** Hide everything the lower layers have in directory `dir`. */
  | { kind: 'opaque'; dir: string }
  /** Other `.wh..wh.*` names are aufs bookkeeping (e.g. hard-link dirs): nothing to apply. */
  | { kind: 'ignore' };

/** Interprets a normalized entry path as a whiteout, or returns undefined for an ordinary entry. */
export function whiteoutMeaning(path: string): WhiteoutMeaning | undefined {
  const base = baseOf(path);
  if (!base.startsWith(whiteoutPrefix)) return undefined;
  const dir = parentOf(path);
  if (base === opaqueMarker) return { kind: 'opaque', dir };
  if (base.startsWith(`${whiteoutPrefix}${whiteoutPrefix}`)) return { kind: 'ignore' };
  const hidden = base.slice(whiteoutPrefix.length);
  if (hidden === '' || hidden === '.' || hidden === '..') {
    throw invalid(`layer entry ${JSON.stringify(path)} is a whiteout for ${JSON.stringify(hidden)}, which names no file`);
  }
  return { kind: 'whiteout', path: joinLayerPath(dir, hidden) };
}

/** Device nodes are only accepted under /dev, where an image legitimately ships them. */
export function deviceAllowedAt(path: string): boolean {
  return path.startsWith('dev/');
}
