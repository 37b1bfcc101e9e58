/**
 * Walks what one COPY/ADD source match copies: the match itself, then (for a directory) everything below
 * it that the tree does not ignore, parents before children, names sorted, so the order is the same on
 * every machine. Symlinks below the match are entries of their own, never followed.
 */
import type { BigIntStats, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative as relativePath, sep } from 'node:path';
import type { SourceTree } from './source-tree.ts';

export interface SourceMatch {
  /** The source as matched, slash-separated and relative to the tree root ('' for the root itself). */
  relative: string;
  /** Absolute host path, symlinks resolved inside the tree. */
  path: string;
  isDirectory: boolean;
}

export interface WalkEntry<S> {
  /** Relative to the match; '' for the match itself. */
  relative: string;
  path: string;
  stats: S;
}

export type TreeEntry = WalkEntry<Stats>;

/** The match itself (relative '') then, for a directory, everything below it that is not ignored; parents first, sorted. */
export function walkMatch(tree: SourceTree, match: SourceMatch): AsyncGenerator<TreeEntry> {
  return walkWith(tree, match, (path) => lstat(path));
}

/** walkMatch with the stat call chosen by the caller (hashing needs BigIntStats for nanosecond times). */
export async function* walkWith<S extends Stats | BigIntStats>(
  tree: SourceTree,
  match: SourceMatch,
  statOf: (path: string) => Promise<S>,
): AsyncGenerator<WalkEntry<S>> {
  const stats = await statOf(match.path);
  yield { relative: '', path: match.path, stats };
  if (!stats.isDirectory()) return;
  yield* below(
    tree,
    statOf,
    { path: match.path, treeRelative: treeRelativeOf(tree, match.path), relative: '' },
    [],
  );
}

interface Dir {
  path: string;
  /** Relative to the tree root: what .dockerignore rules are matched against. */
  treeRelative: string;
  /** Relative to the match. */
  relative: string;
}

/**
 * `unemitted` holds ignored directories entered only because an exception may re-include something
 * below them; they are emitted (with their real metadata, as BuildKit does) just before the first
 * entry below them that is included, and never if there is none.
 */
async function* below<S extends Stats | BigIntStats>(
  tree: SourceTree,
  statOf: (path: string) => Promise<S>,
  dir: Dir,
  unemitted: WalkEntry<S>[],
): AsyncGenerator<WalkEntry<S>> {
  const children = (await readdir(dir.path)).sort().map(
    (name): Dir => ({
      path: join(dir.path, name),
      treeRelative: joinRelative(dir.treeRelative, name),
      relative: joinRelative(dir.relative, name),
    }),
  );
  // One lstat after another would leave the thread pool idle: a warm rebuild is mostly these calls.
  const allStats = await Promise.all(children.map((child) => statOf(child.path)));
  for (const [i, child] of children.entries()) {
    const stats = allStats[i] as S;
    const entry = { relative: child.relative, path: child.path, stats };
    if (tree.isIgnored(child.treeRelative)) {
      if (!stats.isDirectory() || !tree.mayIncludeBelow?.(child.treeRelative)) continue;
      unemitted.push(entry);
      yield* below(tree, statOf, child, unemitted);
      if (unemitted.at(-1) === entry) unemitted.pop();
      continue;
    }
    yield* unemitted.splice(0);
    yield entry;
    if (stats.isDirectory()) yield* below(tree, statOf, child, unemitted);
  }
}

export function joinRelative(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** The slash-separated path of `path` (inside the tree) relative to its root. */
export function treeRelativeOf(tree: SourceTree, path: string): string {
  return relativePath(tree.root, path).split(sep).join('/');
}
