/**
 * Resolves a container's `user` (`""`, `name`, `uid`, `uid:gid`, `name:group`…) against the rootfs's
 * /etc/passwd and /etc/group, as runc/Docker do: names must exist, numeric ids need not (a uid with no
 * passwd entry runs with gid 0), supplementary groups are the groups that list the user's name.
 * Pure: the caller reads the files (missing file = empty text).
 */
import { invalid } from '../errors.ts';
import type { ResolvedUser } from './spec-input.ts';

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 32 - 2;

function parseId(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).flatMap(([name, , uid, gid]) => {
    const u = parseId(uid ?? '');
    const g = parseId(gid ?? '');
    return name && u !== undefined && g !== undefined ? [{ name, uid: u, gid: g }] : [];
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).flatMap(([name, , gid, members]) => {
    const g = parseId(gid ?? '');
    return name && g !== undefined ? [{ name, gid: g, members: (members ?? '').split(',').filter(Boolean) }] : [];
  });
}

function findUser(userPart: string, passwd: PasswdEntry[]): PasswdEntry {
  const uid = parseId(userPart);
  const entry = passwd.find((e) => (uid === undefined ? e.name === userPart : e.uid === uid));
  if (entry) return entry;
  if (uid !== undefined) return { name: '', uid, gid: 0 };
  throw invalid(`unable to find user ${userPart}: no matching entries in passwd file`, { user: userPart });
}

function findGroupId(groupPart: string, groups: GroupEntry[]): number {
  const gid = parseId(groupPart);
  if (gid !== undefined) return gid;
  const entry = groups.find((e) => e.name === groupPart);
  if (!entry) throw invalid(`unable to find group ${groupPart}: no matching entries in group file`, { group: groupPart });
  return entry.gid;
}

export function resolveUser(user: string, files: { passwd: string; group: string }): ResolvedUser {
  const [userPart = '', groupPart, ...rest] = user.split(':');
  if (rest.length > 0 || (groupPart !== undefined && groupPart === '')) {
    throw invalid(`invalid user "${user}": use name, uid, name:group or uid:gid`, { user });
  }
  const passwd = parsePasswd(files.passwd);
  const groups = parseGroup(files.group);
  const entry = findUser(userPart === '' ? '0' : userPart, passwd);
  const gid = groupPart === undefined ? entry.gid : findGroupId(groupPart, groups);
  const additionalGids = entry.name === '' ? [] : groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
  return { uid: entry.uid, gid, additionalGids: [...new Set(additionalGids)] };
}
