import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { BigIntStats } from 'node:fs';
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import tar from 'tar-stream';
import { packDirectory } from '../image/directory-tar.ts';
import { isMarinaError } from '../errors.ts';
import { packUpperDiff, parseXattrDump, unquoteDump, upperEntryForm, upperRewrite } from './upper-diff.ts';

const x = (name: string, value: string | Buffer) => ({
  name,
  value: Buffer.isBuffer(value) ? value : Buffer.from(value),
});

test('parseXattrDump reads getfattr -e hex output, escapes and the root included', () => {
  const dump = [
    '# file: .',
    'trusted.overlay.impure=0x79',
    '',
    '# file: a\\040b/f\\303\\251',
    'user.x=0x683d69',
    'security.capability=0x0100000200200000',
    '',
    '# file: empty',
    '',
  ].join('\n');
  const parsed = parseXattrDump(dump);
  assert.deepEqual([...parsed.keys()], ['', 'a b/fé']);
  assert.deepEqual(parsed.get('a b/fé'), [
    x('user.x', 'h=i'),
    x('security.capability', Buffer.from('0100000200200000', 'hex')),
  ]);
  assert.equal(unquoteDump('\\134\\075plain'), '\\=plain');
});

test('upperEntryForm carries capability and user xattrs, sorted, and keeps only a directory opaque marker', () => {
  const form = upperEntryForm('d', 'directory', [
    x('user.b', '2'),
    x('trusted.overlay.origin', Buffer.of(0, 1, 2)),
    x('trusted.overlay.opaque', 'y'),
    x('security.capability', '\u0001\u0000'),
    x('user.a', '1'),
    x('security.selinux', 'system_u'),
    x('system.posix_acl_access', Buffer.of(2, 0, 0, 0)),
  ]);
  assert.equal(form.opaque, true);
  assert.deepEqual(
    form.carried.map((c) => c.name),
    ['security.capability', 'user.a', 'user.b'],
  );
  assert.equal(upperEntryForm('f', 'other', [x('trusted.overlay.opaque', 'y')]).opaque, false);
  assert.equal(upperEntryForm('d', 'directory', [x('trusted.overlay.opaque', 'x')]).opaque, false);
  assert.deepEqual(upperEntryForm('w', 'whiteout', [x('user.a', '1')]).carried, []);
});

test('upperEntryForm drops values that are not UTF-8 (the tar library keeps PAX values as text)', () => {
  assert.deepEqual(upperEntryForm('f', 'other', [x('user.bin', Buffer.of(0x80, 0xff))]).carried, []);
});

test('upperEntryForm refuses overlay redirects and metacopy', () => {
  for (const name of ['trusted.overlay.redirect', 'trusted.overlay.metacopy']) {
    assert.throws(
      () => upperEntryForm('d', 'directory', [x(name, 'elsewhere')]),
      (err: unknown) => isMarinaError(err, 'Unsupported') && /redirect_dir=off/.test(err.message),
    );
  }
});

function fakeStats(kind: 'whiteout' | 'directory' | 'file'): BigIntStats {
  return {
    isDirectory: () => kind === 'directory',
    isCharacterDevice: () => kind === 'whiteout',
    rdev: 0n,
  } as unknown as BigIntStats;
}

test('upperRewrite renames whiteouts, adds opaque markers and PAX xattrs', () => {
  const mtime = new Date('2021-01-01T00:00:00Z');
  const rewrite = upperRewrite(
    new Map([
      ['d', [x('trusted.overlay.opaque', 'y')]],
      ['d/f', [x('user.note', 'hi'), x('trusted.overlay.origin', 'o')]],
    ]),
  );
  const whiteout = rewrite(
    { relative: 'a/gone', stats: fakeStats('whiteout') },
    { name: 'a/gone', type: 'character-device', mode: 0, uid: 0, gid: 0, mtime },
  );
  assert.deepEqual(whiteout, [
    { name: 'a/.wh.gone', type: 'file', size: 0, mode: 0o600, uid: 0, gid: 0, mtime },
  ]);
  const opaque = rewrite(
    { relative: 'd', stats: fakeStats('directory') },
    { name: 'd', type: 'directory', mode: 0o2755, uid: 1, gid: 2, mtime },
  );
  assert.deepEqual(
    opaque.map((h) => [h.name, h.type, h.mode, h.uid]),
    [
      ['d', 'directory', 0o2755, 1],
      ['d/.wh..wh..opq', 'file', 0o755, 1],
    ],
  );
  const file = rewrite(
    { relative: 'd/f', stats: fakeStats('file') },
    { name: 'd/f', type: 'file', size: 3, mtime },
  );
  assert.deepEqual(file, [
    { name: 'd/f', type: 'file', size: 3, mtime, pax: { 'SCHILY.xattr.user.note': 'hi' } },
  ]);
  assert.throws(
    () =>
      rewrite({ relative: 'e/.wh.x', stats: fakeStats('file') }, { name: 'e/.wh.x', type: 'file', size: 0 }),
    (err: unknown) => isMarinaError(err, 'Invalid') && /rename it/.test(err.message),
  );
});

interface Read {
  name: string;
  type: string | null | undefined;
  linkname?: string | null;
  pax?: Record<string, string> | null;
  body: string;
}

async function entriesOf(stream: Readable): Promise<{ bytes: Buffer; entries: Read[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const extract = tar.extract();
  const entries: Read[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const part of entry as unknown as AsyncIterable<Buffer>) parts.push(part);
      const h = entry.header as tar.Header & { pax?: Record<string, string> | null };
      entries.push({
        name: h.name,
        type: h.type,
        linkname: h.linkname,
        pax: h.pax,
        body: Buffer.concat(parts).toString(),
      });
    }
  })();
  extract.end(bytes);
  await done;
  return { bytes, entries };
}

test('packUpperDiff of a plain tree: sorted, hard links kept, user xattrs in PAX, the same bytes every time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marina-upper-diff-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'b/sub'), { recursive: true });
  await writeFile(join(dir, 'b/sub/one'), 'one');
  await link(join(dir, 'b/sub/one'), join(dir, 'a-link'));
  await writeFile(join(dir, 'c'), 'see');
  execFileSync('setfattr', ['-n', 'user.colour', '-v', 'blue', join(dir, 'c')]);

  const first = await entriesOf(packUpperDiff(dir));
  assert.deepEqual(
    first.entries.map((e) => [e.name, e.type, e.linkname ?? null, e.body]),
    [
      ['a-link', 'file', null, 'one'],
      ['b', 'directory', null, ''],
      ['b/sub', 'directory', null, ''],
      ['b/sub/one', 'link', 'a-link', ''],
      ['c', 'file', null, 'see'],
    ],
  );
  assert.equal(first.entries.at(-1)?.pax?.['SCHILY.xattr.user.colour'], 'blue');
  const second = await entriesOf(packUpperDiff(dir));
  assert.ok(first.bytes.equals(second.bytes));
});

test('packUpperDiff and packDirectory agree on a tree without overlay marks or xattrs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marina-upper-diff-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'x/y'), { recursive: true });
  await writeFile(join(dir, 'x/y/z'), 'zed');
  const upper = await entriesOf(packUpperDiff(dir));
  const plain = await entriesOf(packDirectory(dir));
  assert.ok(upper.bytes.equals(plain.bytes));
});

test('packUpperDiff of a missing directory fails the stream', async () => {
  await assert.rejects(entriesOf(packUpperDiff(join(tmpdir(), 'marina-no-such-upper-dir'))), {
    code: 'ENOENT',
  });
});
