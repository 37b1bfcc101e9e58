/**
 * Extended attributes of layer entries. Node cannot set xattrs, so they are collected while a layer is
 * applied and written in one `setfattr --restore` run (Debian package `attr`) at the end; this module
 * holds the pure parts: which attributes to keep and the dump format setfattr reads.
 */

const paxXattrPrefix = 'SCHILY.xattr.';

export interface Xattr {
  name: string;
  value: Buffer;
}

/**
 * Why an attribute from a layer is not applied:
 * - `trusted.overlay.*` would let a layer forge overlay metadata (redirects, opaque dirs); whiteouts and
 *   opaque dirs come only from the `.wh.` convention.
 * - `security.selinux` labels belong to the host's policy, not to the image (Docker relabels too).
 * - a value tar-stream decoded lossily: it hands PAX values over as UTF-8 text, so a binary value (e.g. most
 *   `security.capability` values) that is not valid UTF-8 cannot be reproduced byte for byte.
 */
export type XattrSkipReason = 'overlay-private' | 'host-label' | 'binary-value-lost';

export interface SkippedXattr {
  path: string;
  name: string;
  reason: XattrSkipReason | 'unsupported-by-filesystem';
}

export function skipReason(name: string, decodedValue: string): XattrSkipReason | undefined {
  if (name.startsWith('trusted.overlay.')) return 'overlay-private';
  if (name === 'security.selinux') return 'host-label';
  if (decodedValue.includes('\uFFFD')) return 'binary-value-lost';
  return undefined;
}

/** Splits the `SCHILY.xattr.*` records of an entry's PAX header into kept and skipped attributes. */
export function xattrsFromPax(
  path: string,
  pax: Readonly<Record<string, string>> | null | undefined,
): { keep: Xattr[]; skipped: SkippedXattr[] } {
  const keep: Xattr[] = [];
  const skipped: SkippedXattr[] = [];
  if (!pax) return { keep, skipped };
  for (const [key, value] of Object.entries(pax)) {
    if (!key.startsWith(paxXattrPrefix)) continue;
    const name = key.slice(paxXattrPrefix.length);
    const reason = skipReason(name, value);
    if (reason) skipped.push({ path, name, reason });
    else keep.push({ name, value: Buffer.from(value, 'utf8') });
  }
  return { keep, skipped };
}

/** setfattr's quoting: every byte outside printable ASCII, and `\` and `=`, as a 3-digit octal escape. */
export function quoteForDump(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const printable = byte > 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x3d;
    out += printable ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** The `getfattr --dump` text that `setfattr --restore` reads; paths relative to its working directory. */
export function buildXattrDump(entries: ReadonlyMap<string, readonly Xattr[]>): string {
  const blocks: string[] = [];
  for (const [path, xattrs] of entries) {
    if (xattrs.length === 0) continue;
    const lines = [`# file: ${quoteForDump(path)}`];
    for (const x of xattrs) lines.push(`${quoteForDump(x.name)}=0x${x.value.toString('hex')}`);
    blocks.push(`${lines.join('\n')}\n`);
  }
  return blocks.join('\n');
}

export interface SetfattrFailure {
  path: string;
  message: string;
}

/** Parses setfattr's `setfattr: PATH: REASON` error lines. */
export function parseSetfattrErrors(stderr: string): SetfattrFailure[] {
  const failures: SetfattrFailure[] = [];
  for (const line of stderr.split('\n')) {
    const match = /^setfattr: (.*): ([^:]+)$/.exec(line);
    if (match) failures.push({ path: match[1]!, message: match[2]! });
    else if (line.trim() !== '') failures.push({ path: '', message: line });
  }
  return failures;
}

/** Docker ignores these too: not every file system stores every namespace (e.g. user.* on a symlink). */
export function isToleratedXattrFailure(failure: SetfattrFailure): boolean {
  return failure.message === 'Operation not supported' || failure.message === 'Operation not permitted';
}
