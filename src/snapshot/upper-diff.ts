/**
 * Layers from a snapshot's writable upper directory. An overlay upper holds a container's changes in
 * overlay form (a deletion is a 0/0 character device, a directory that hides its lower contents has the
 * xattr trusted.overlay.opaque=y, copied-up entries carry overlay bookkeeping xattrs). This module turns it
 * into the OCI layer tar (`packUpperDiff`) and, for commit, into the on-disk form apply-layer.ts gives
 * that same tar (`convertUpperToLayer`), so a committed layer and one unpacked from the pushed tar are the
 * same directory. Both go through `upperEntryForm`, the one statement of what an upper entry becomes.
 */
import type { BigIntStats } from 'node:fs';
import { chmod, lchown, lutimes, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type RewriteEntry, type TreeEntry, walkTree, writeTree } from '../image/directory-tar.ts';
import { type EntryHeader, packWith } from '../image/tar-entries.ts';
import { invalid, MarinaError } from '../errors.ts';
import { runChecked } from '../run-command.ts';
import { baseOf, joinLayerPath, parentOf } from './layer-paths.ts';
import { skipReason, type Xattr } from './xattrs.ts';

const whiteoutPrefix = '.wh.';
const opaqueMarker = '.wh..wh..opq';
const opaqueXattr = 'trusted.overlay.opaque';
const paxXattrPrefix = 'SCHILY.xattr.';
const ownUid = process.getuid?.() ?? 0;
const ownGid = process.getgid?.() ?? 0;

/**
 * The OCI layer tar (uncompressed) of an overlay upper directory: overlay whiteouts (character device 0/0) become
 * `<dir>/.wh.<name>` entries, opaque directories (xattr trusted.overlay.opaque = "y") get a `<dir>/.wh..wh..opq` entry,
 * other xattrs that matter (security.capability, user.*) go in PAX `SCHILY.xattr.*` headers; hard links within the
 * upper stay hard links; entries sorted, parents first, mtimes kept: the same upper always gives the same bytes.
 */
export function packUpperDiff(upperDir: string): Readable {
  return packWith(async (pack) => {
    const xattrs = await readXattrs(upperDir);
    await writeTree(pack, upperDir, upperRewrite(xattrs));
  });
}

/** What an entry of the upper is, as far as the layer cares. */
export type UpperKind = 'directory' | 'whiteout' | 'other';

export function upperKindOf(stats: BigIntStats): UpperKind {
  if (stats.isDirectory()) return 'directory';
  // overlayfs marks a deleted lower entry with a character device numbered 0/0 (a "whiteout").
  if (stats.isCharacterDevice() && stats.rdev === 0n) return 'whiteout';
  return 'other';
}

export interface UpperEntryForm {
  /** A directory that hides everything the lower layers have in it. */
  opaque: boolean;
  /** The xattrs the layer tar carries (and apply-layer.ts restores), sorted by name. */
  carried: Xattr[];
}

/**
 * The layer form of an upper entry's xattrs. Carried: security.capability and user.* (what Docker keeps),
 * except values that are not valid UTF-8, which the tar library (hence apply-layer too) can only hold as
 * text; everything else (overlay bookkeeping such as origin/impure, ACLs, SELinux labels) stays behind.
 * Redirects and metacopy make the upper mean more than its files say; no layer tar can express them.
 */
export function upperEntryForm(path: string, kind: UpperKind, xattrs: readonly Xattr[]): UpperEntryForm {
  let opaque = false;
  const carried: Xattr[] = [];
  for (const x of xattrs) {
    if (x.name === 'trusted.overlay.redirect' || x.name === 'trusted.overlay.metacopy') {
      throw new MarinaError(
        'Unsupported',
        `${JSON.stringify(path || '/')} has the overlay attribute ${x.name}: the snapshot was mounted with redirect_dir or metacopy, whose changes a layer cannot express; mount overlays with redirect_dir=off,metacopy=off`,
      );
    }
    if (kind === 'whiteout') continue;
    if (x.name === opaqueXattr) opaque = kind === 'directory' && x.value.toString('latin1') === 'y';
    else if (isCarriedName(x.name) && skipReason(x.name, x.value.toString('utf8')) === undefined)
      carried.push(x);
  }
  carried.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { opaque, carried };
}

function isCarriedName(name: string): boolean {
  return name === 'security.capability' || name.startsWith('user.');
}

/** The tar entries of each upper entry: whiteouts renamed, opaque markers added, carried xattrs in PAX. */
export function upperRewrite(xattrs: ReadonlyMap<string, readonly Xattr[]>): RewriteEntry {
  return (entry: TreeEntry, header: EntryHeader): EntryHeader[] => {
    const path = entry.relative;
    const kind = upperKindOf(entry.stats);
    const form = upperEntryForm(path, kind, xattrs.get(path) ?? []);
    if (kind === 'whiteout') {
      // As Docker writes them: an empty regular file with the whiteout's owner and time.
      const name = joinLayerPath(parentOf(path), `${whiteoutPrefix}${baseOf(path)}`);
      return [
        { name, type: 'file', size: 0, mode: 0o600, uid: header.uid, gid: header.gid, mtime: header.mtime },
      ];
    }
    if (baseOf(path).startsWith(whiteoutPrefix)) {
      throw invalid(
        `${JSON.stringify(`/${path}`)} has a name starting with ${whiteoutPrefix}, which layers reserve for deletions; rename it`,
      );
    }
    const written: EntryHeader[] = [
      form.carried.length === 0 ? header : { ...header, pax: paxOf(form.carried) },
    ];
    if (form.opaque) {
      written.push({
        name: joinLayerPath(path, opaqueMarker),
        type: 'file',
        size: 0,
        mode: (header.mode ?? 0o755) & 0o777,
        uid: header.uid,
        gid: header.gid,
        mtime: header.mtime,
      });
    }
    return written;
  };
}

function paxOf(xattrs: readonly Xattr[]): Record<string, string> {
  return Object.fromEntries(xattrs.map((x) => [`${paxXattrPrefix}${x.name}`, x.value.toString('utf8')]));
}

/**
 * Turns an unmounted upper directory into exactly what apply-layer.ts makes of its `packUpperDiff` tar:
 * only the carried xattrs and the opaque marker stay, sockets (which the tar leaves out) go, mtimes and
 * atimes become the tar's whole seconds, and the root gets the mode of a freshly unpacked layer. Whiteouts
 * and opaque directories already have apply-layer's form (0/0 device, trusted.overlay.opaque=y).
 */
export async function convertUpperToLayer(dir: string): Promise<void> {
  const xattrs = await readXattrs(dir);
  // Collected before anything changes: deleting a socket would bump its directory's mtime.
  const entries: TreeEntry[] = [];
  for await (const entry of walkTree(dir)) entries.push(entry);

  const removals = new Map<string, string[]>();
  const remove = (path: string, name: string) => {
    const paths = removals.get(name) ?? [];
    paths.push(path || '.');
    removals.set(name, paths);
  };
  for (const x of xattrs.get('') ?? []) remove('', x.name);
  for (const entry of entries) {
    if (entry.stats.isSocket()) continue;
    const own = xattrs.get(entry.relative) ?? [];
    const form = upperEntryForm(entry.relative, upperKindOf(entry.stats), own);
    const kept = new Set(form.carried.map((x) => x.name));
    if (form.opaque) kept.add(opaqueXattr);
    for (const x of own) if (!kept.has(x.name)) remove(entry.relative, x.name);
  }
  await removeXattrs(dir, removals);

  for (const entry of entries) if (entry.stats.isSocket()) await unlink(join(dir, entry.relative));
  for (const entry of entries) {
    const kind = upperKindOf(entry.stats);
    if (kind === 'whiteout' || entry.stats.isSocket()) continue;
    // The tar header holds whole seconds (tar-stream truncates), and apply-layer sets atime = mtime.
    const seconds = Math.trunc(Number(entry.stats.mtimeMs) / 1000);
    await lutimes(join(dir, entry.relative), seconds, seconds);
  }
  // apply-layer unpacks into a fresh root-owned 0755 directory and never applies the root's own metadata.
  await lchown(dir, ownUid, ownGid);
  await chmod(dir, 0o755);
}

/** setfattr takes many files per run: one run per attribute name (and per few thousand paths). */
async function removeXattrs(dir: string, removals: ReadonlyMap<string, readonly string[]>): Promise<void> {
  const batch = 2000;
  for (const [name, paths] of removals) {
    for (let i = 0; i < paths.length; i += batch) {
      await runChecked('setfattr', ['-h', '-x', name, '--', ...paths.slice(i, i + batch)], { cwd: dir });
    }
  }
}

/** Every xattr under `dir`, by path relative to it ('' is `dir` itself), read with one getfattr run. */
export async function readXattrs(dir: string): Promise<Map<string, Xattr[]>> {
  // A missing cwd would make execFile report getfattr itself as missing.
  await stat(dir);
  const dump = await runChecked('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '.'], {
    cwd: dir,
  });
  return parseXattrDump(dump);
}

/**
 * Parses `getfattr --dump -e hex` output. Paths are relative to where it ran (getfattr drops the `./`);
 * names and paths use its `\ooo` octal escapes.
 */
export function parseXattrDump(dump: string): Map<string, Xattr[]> {
  const result = new Map<string, Xattr[]>();
  let current: Xattr[] | undefined;
  for (const line of dump.split('\n')) {
    if (line.startsWith('# file: ')) {
      const raw = unquoteDump(line.slice('# file: '.length));
      const path = raw === '.' ? '' : raw.startsWith('./') ? raw.slice(2) : raw;
      current = result.get(path) ?? [];
      result.set(path, current);
      continue;
    }
    const match = /^([^=]+)=0x([0-9a-fA-F]*)$/.exec(line);
    if (!match || current === undefined) continue;
    current.push({ name: unquoteDump(match[1]!), value: Buffer.from(match[2]!, 'hex') });
  }
  for (const [path, xattrs] of result) if (xattrs.length === 0) result.delete(path);
  return result;
}

/** Undoes getfattr's quoting: each `\ooo` is one byte; the bytes are UTF-8. */
export function unquoteDump(text: string): string {
  const parts = text
    .split(/(\\[0-7]{3})/)
    .map((part) =>
      /^\\[0-7]{3}$/.test(part) ? Buffer.of(Number.parseInt(part.slice(1), 8)) : Buffer.from(part, 'utf8'),
    );
  return Buffer.concat(parts).toString('utf8');
}
