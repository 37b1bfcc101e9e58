/**
 * COPY/ADD sources: which files of a tree the source words name (with Docker's wildcards and
 * .dockerignore applied), how to walk them, and the digest that is a COPY's cache key.
 */
import { lstat, readdir } from 'node:fs/promises';
import { invalid } from '../../errors.ts';
import { resolveInRoot } from '../../rootfs/resolve-in-root.ts';
import { compileSegment, hasMeta } from './glob.ts';
import type { SourceTree } from './source-tree.ts';
import { joinRelative, type SourceMatch, treeRelativeOf, walkWith } from './walk.ts';

export { hashSources } from './source-digest.ts';
export { type SourceMatch, type TreeEntry, walkMatch } from './walk.ts';

type Instruction = 'COPY' | 'ADD';

/**
 * COPY/ADD source words (already variable-expanded) → matches, in the order given (glob matches sorted).
 * A source of `.` or `/` means the whole root. Throws `Invalid` for a path outside the root, a bad
 * pattern, and a source that is missing, ignored or (as a pattern) matches nothing.
 */
export async function resolveSources(
  tree: SourceTree,
  sources: string[],
  instruction: Instruction,
): Promise<SourceMatch[]> {
  const matches: SourceMatch[] = [];
  for (const source of sources) matches.push(...(await resolveSource(tree, source, instruction)));
  return matches;
}

async function resolveSource(
  tree: SourceTree,
  source: string,
  instruction: Instruction,
): Promise<SourceMatch[]> {
  const segments = sourceSegments(source, instruction);
  if (segments.length === 0) return [{ relative: '', path: tree.root, isDirectory: true }];
  const candidates = segments.some(hasMeta)
    ? await expandPattern(tree, segments, instruction)
    : [segments.join('/')];
  // `dir/` names a directory: a file there is not what was asked for.
  const wantsDirectory = source.endsWith('/');
  const found: SourceMatch[] = [];
  for (const relative of candidates) {
    const match = await matchAt(tree, relative);
    if (match && (match.isDirectory || !wantsDirectory)) found.push(match);
  }
  if (found.length === 0) {
    throw invalid(
      `${instruction} failed: file not found in build context or excluded by .dockerignore: ${JSON.stringify(source)}`,
    );
  }
  return found;
}

/** The source's path segments relative to the root, `.`/`..` applied; refuses a path that climbs out. */
function sourceSegments(source: string, instruction: Instruction): string[] {
  const segments: string[] = [];
  for (const segment of source.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') segments.push(segment);
    else if (segments.pop() === undefined) {
      throw invalid(`${instruction} failed: forbidden path outside the build context: ${source}`);
    }
  }
  return segments;
}

/** Go's filepath.Glob over the tree: each wildcard segment is matched against the names of a directory. */
async function expandPattern(
  tree: SourceTree,
  segments: string[],
  instruction: Instruction,
): Promise<string[]> {
  let paths = [''];
  for (const segment of segments) {
    if (!hasMeta(segment)) {
      paths = paths.map((path) => joinRelative(path, segment));
      continue;
    }
    let matches: (name: string) => boolean;
    try {
      matches = compileSegment(segment);
    } catch (err) {
      throw invalid(`${instruction} failed: ${(err as Error).message}`);
    }
    const next: string[] = [];
    for (const path of paths) {
      for (const name of (await namesIn(tree, path)).sort())
        if (matches(name)) next.push(joinRelative(path, name));
    }
    paths = next;
  }
  return paths;
}

async function namesIn(tree: SourceTree, relative: string): Promise<string[]> {
  try {
    return await readdir(await resolveInRoot(tree.root, relative));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

/** The match for an existing, not ignored path, or undefined. Symlinks are followed inside the tree. */
async function matchAt(tree: SourceTree, relative: string): Promise<SourceMatch | undefined> {
  const path = await resolveInRoot(tree.root, relative);
  const stats = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (!stats) return undefined;
  const match = { relative, path, isDirectory: stats.isDirectory() };
  // The name as written and, through a symlink, the file it leads to: an ignored one is not sent by Docker either.
  if (await isExcluded(tree, match, relative)) return undefined;
  const resolved = treeRelativeOf(tree, path);
  if (resolved !== relative && (await isExcluded(tree, match, resolved))) return undefined;
  return match;
}

/** Ignored, unless it is a directory an exception re-includes something below. */
async function isExcluded(tree: SourceTree, match: SourceMatch, treeRelative: string): Promise<boolean> {
  if (!tree.isIgnored(treeRelative)) return false;
  if (!match.isDirectory || !tree.mayIncludeBelow?.(treeRelative)) return true;
  // Any entry after the match itself is something included below it.
  let entries = 0;
  for await (const _ of walkWith(tree, match, (p) => lstat(p))) if (++entries > 1) return false;
  return true;
}
