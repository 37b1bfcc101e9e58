/**
 * .dockerignore rules. Matching itself is @balena/dockerignore, a port of Docker's own matcher (patterns
 * anchored at the context root, `!` exceptions, `**`, parents of an excluded path excluded too). What it
 * lacks is the walker's question: may anything below an excluded directory be re-included by an
 * exception? Without it every excluded `node_modules` would have to be walked only to be skipped.
 */
import dockerignore from '@balena/dockerignore';
import { posix } from 'node:path';
import { compileSegment } from './glob.ts';

export interface IgnoreRules {
  /** `relative` is slash-separated and relative to the context root; the root itself is never ignored. */
  isIgnored(relative: string): boolean;
  /** Whether an exception could re-include something below the (ignored) directory `relative`. */
  mayIncludeBelow(relative: string): boolean;
}

export function parseDockerignore(text: string): IgnoreRules {
  // Docker matches case-sensitively; the library's default follows .gitignore instead.
  // The package is CommonJS with a TypeScript `export default`: under nodenext the factory is `.default`.
  const matcher = dockerignore.default({ ignorecase: false }).add(text);
  const exceptions = exceptionPatterns(text);
  return {
    isIgnored: (relative) => relative !== '' && matcher.ignores(relative),
    mayIncludeBelow: (relative) => exceptions.some((exception) => exception(relative.split('/'))),
  };
}

/** For each `!` line, a test of whether the pattern could match some path below a directory. */
function exceptionPatterns(text: string): ((dir: string[]) => boolean)[] {
  const tests: ((dir: string[]) => boolean)[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('!')) continue;
    const pattern = posix.normalize(trimmed.slice(1).trim()).replace(/^\/+|\/+$/g, '');
    if (pattern === '' || pattern === '.') continue;
    const segments = pattern.split('/');
    if (pattern.includes('**')) {
      // `**` spans any number of directories: it may match below anything.
      tests.push(() => true);
      continue;
    }
    let matchers: ((name: string) => boolean)[];
    try {
      matchers = segments.map(compileSegment);
    } catch {
      // A pattern Go would reject never matches in Docker either, but stay on the safe side and walk.
      tests.push(() => true);
      continue;
    }
    tests.push((dir) => matchers.length > dir.length && dir.every((name, i) => matchers[i]?.(name)));
  }
  return tests;
}
