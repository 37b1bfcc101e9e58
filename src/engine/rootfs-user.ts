/** A container's user (`name`, `uid:gid`…) resolved against the /etc/passwd and /etc/group of its rootfs. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedUser } from '../runtime/spec-input.ts';
import { resolveUser } from '../runtime/user.ts';

const readOptional = (path: string) => readFile(path, 'utf8').catch(() => '');

export async function userInRootfs(user: string, rootfs: string): Promise<ResolvedUser> {
  const [passwd, group] = await Promise.all([readOptional(join(rootfs, 'etc/passwd')), readOptional(join(rootfs, 'etc/group'))]);
  return resolveUser(user, { passwd, group });
}
