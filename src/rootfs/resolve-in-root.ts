/**
 * Resolves a path inside a container root filesystem the way the container would see it: symlinks are
 * followed, but an absolute link target or a `..` that would climb above the root stays inside the root
 * (like chroot, and like Go's securejoin). The builder and `docker cp` write into a mounted rootfs from
 * the host, so every destination they touch goes through here; a link to `/etc` in an image can never
 * reach the host's /etc.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid } from '../errors.ts';

/** Linux's own limit on symlinks followed in one lookup. */
const maxSymlinks = 40;

/**
 * The host path of `path` (absolute or relative to `/`) inside `root`. Components that do not exist are
 * kept as written, so the result can name something about to be created. With `followFinal: false` a
 * final symlink is not followed (to replace or create the link itself).
 */
export async function resolveInRoot(root: string, path: string, options: { followFinal?: boolean } = {}): Promise<string> {
  const followFinal = options.followFinal ?? true;
  let pending = splitComponents(path);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const [component, ...rest] = pending as [string, ...string[]];
    pending = rest;
    if (component === '.') continue;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, component);
    const isFinal = pending.length === 0;
    const stats = await lstat(candidate).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (stats?.isSymbolicLink() && (followFinal || !isFinal)) {
      links += 1;
      if (links > maxSymlinks) throw invalid(`too many levels of symbolic links resolving "${path}" in the image`);
      const target = await readlink(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...splitComponents(target), ...pending];
      continue;
    }
    resolved.push(component);
  }
  return join(root, ...resolved);
}

function splitComponents(path: string): string[] {
  return path.split('/').filter((c) => c !== '');
}
