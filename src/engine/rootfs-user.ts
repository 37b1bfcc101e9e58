/** A container's user (`name`, `uid:gid`…) resolved against the /etc/passwd and /etc/group of its rootfs. */
import { join } from 'node:path';
import { readTextOrEmpty } from '../read-text.ts';
import type { ResolvedUser } from '../runtime/spec-input.ts';
import { resolveUser } from '../runtime/user.ts';

export async function userInRootfs(user: string, rootfs: string): Promise<ResolvedUser> {
  const [passwd, group] = await Promise.all([readTextOrEmpty(join(rootfs, 'etc/passwd')), readTextOrEmpty(join(rootfs, 'etc/group'))]);
  return resolveUser(user, { passwd, group });
}
