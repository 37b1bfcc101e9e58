/**
 * The build context: the directory COPY and ADD read from, with its .dockerignore applied. Either the
 * user's own directory (read in place, never written) or a tar archive unpacked into a scratch directory.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { invalid, MarinaError, notFound } from '../../errors.ts';
import { readTextIfPresent } from '../../read-text.ts';
import { resolveInRoot } from '../../rootfs/resolve-in-root.ts';
import { extractContextTar } from './context-tar.ts';
import { parseDockerignore } from './dockerignore.ts';
import type { SourceTree } from './source-tree.ts';

export interface BuildContext extends SourceTree {
  /** Removes an extracted tar context's temporary directory; no-op for a user's directory. */
  dispose(): Promise<void>;
}

export async function openDirectoryContext(path: string): Promise<BuildContext> {
  const root = resolve(path);
  const stats = await stat(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT')
      throw notFound(`build context directory ${root} does not exist; give an existing directory`);
    if (err.code === 'ENOTDIR')
      throw invalid(`build context ${root} is not a directory; give the directory to build from`);
    throw new MarinaError('Invalid', `cannot read the build context ${root}: ${err.message}`, { cause: err });
  });
  if (!stats.isDirectory()) {
    throw invalid(
      `build context ${root} is not a directory; give the directory to build from (or a tar archive with -)`,
    );
  }
  return contextAt(root, async () => {});
}

/** Extracts a (plain or gzip) tar into a new directory under scratchDir; refuses `..`, absolute names and links that escape. */
export async function extractTarContext(stream: Readable, scratchDir: string): Promise<BuildContext> {
  await mkdir(scratchDir, { recursive: true });
  const root = await mkdtemp(join(scratchDir, 'context-'));
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    await extractContextTar(stream, root);
    return await contextAt(root, remove);
  } catch (err) {
    await remove();
    throw err;
  }
}

async function contextAt(root: string, dispose: () => Promise<void>): Promise<BuildContext> {
  const rules = parseDockerignore(await readDockerignore(root));
  return {
    root,
    isIgnored: (relative) => rules.isIgnored(relative),
    mayIncludeBelow: (relative) => rules.mayIncludeBelow(relative),
    dispose,
  };
}

async function readDockerignore(root: string): Promise<string> {
  // resolveInRoot: a .dockerignore that is a symlink must not read a file outside the context.
  const path = await resolveInRoot(root, '.dockerignore');
  try {
    return (await readTextIfPresent(path)) ?? '';
  } catch (err) {
    throw new MarinaError(
      'Invalid',
      `cannot read .dockerignore of the build context: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
