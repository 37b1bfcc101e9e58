import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { rootfsTree } from '../context/source-tree.ts';
import { addUrl } from './add-url.ts';
import { type CopyOptions, copyIntoRootfs } from './copy-into-rootfs.ts';

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

function dirs(t: TestContext): { context: string; rootfs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'marina-add-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'context'));
  mkdirSync(join(dir, 'rootfs/etc'), { recursive: true });
  return { context: join(dir, 'context'), rootfs: join(dir, 'rootfs') };
}

/** ADD of one context file. */
async function add(context: string, rootfs: string, name: string, dest: string, options: Partial<CopyOptions> = {}) {
  const match = { relative: name, path: join(context, name), isDirectory: false };
  await copyIntoRootfs(rootfs, rootfsTree(context), [match], { dest, workdir: '/', owner: me, extractArchives: true, ...options });
}

async function packed(entries: { header: Partial<tar.Header> & { name: string }; content?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { header, content } of entries) {
    const full = { uid: me.uid, gid: me.gid, ...header };
    if (content === undefined) pack.entry(full);
    else pack.entry(full, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('ADD unpacks tar, gzip, bzip2 and xz archives, detected by content, keeping modes and mtimes', async (t) => {
  const { context, rootfs } = dirs(t);
  mkdirSync(join(context, 'tree/bin'), { recursive: true });
  writeFileSync(join(context, 'tree/bin/tool'), 'tool\n', { mode: 0o751 });
  utimesSync(join(context, 'tree/bin/tool'), 1_500_000_000, 1_500_000_000);
  symlinkSync('bin/tool', join(context, 'tree/link'));
  const flags = { gz: '-z', bz2: '-j', xz: '-J', plain: '' };
  for (const [kind, flag] of Object.entries(flags)) {
    // Names that say nothing: detection is by content.
    execFileSync('tar', ['-c', ...(flag ? [flag] : []), '-f', join(context, `archive-${kind}.bin`), '-C', join(context, 'tree'), '.']);
    await add(context, rootfs, `archive-${kind}.bin`, `/opt/${kind}`);
    assert.equal(readFileSync(join(rootfs, `opt/${kind}/bin/tool`), 'utf8'), 'tool\n', kind);
    const stats = statSync(join(rootfs, `opt/${kind}/bin/tool`));
    assert.equal(stats.mode & 0o7777, 0o751, kind);
    assert.equal(stats.mtimeMs, 1_500_000_000_000, kind);
    assert.equal(readlinkSync(join(rootfs, `opt/${kind}/link`)), 'bin/tool', kind);
  }
});

test('ADD copies a file that is not an archive, compressed or not', async (t) => {
  const { context, rootfs } = dirs(t);
  writeFileSync(join(context, 'notes.tar'), 'just text');
  writeFileSync(join(context, 'data.gz'), gzipSync('one compressed file, not a tar'));
  await add(context, rootfs, 'notes.tar', '/x/');
  await add(context, rootfs, 'data.gz', '/x/');
  assert.equal(readFileSync(join(rootfs, 'x/notes.tar'), 'utf8'), 'just text');
  assert.deepEqual(readFileSync(join(rootfs, 'x/data.gz')), readFileSync(join(context, 'data.gz')));
});

test('ADD refuses archive entries that climb out of the destination', async (t) => {
  const { context, rootfs } = dirs(t);
  writeFileSync(join(context, 'dotdot.tar'), await packed([{ header: { name: '../escape' }, content: 'x' }]));
  await assert.rejects(add(context, rootfs, 'dotdot.tar', '/d/'), { code: 'Invalid', message: /outside the destination/ });
  writeFileSync(join(context, 'link.tar'), await packed([{ header: { name: 'a/l', type: 'symlink', linkname: '../../x' } }]));
  await assert.rejects(add(context, rootfs, 'link.tar', '/d/'), { code: 'Invalid', message: /outside the destination/ });
  writeFileSync(join(context, 'hard.tar'), await packed([{ header: { name: 'h', type: 'link', linkname: '../../etc/x' } }]));
  await assert.rejects(add(context, rootfs, 'hard.tar', '/d/'), { code: 'Invalid' });
  assert.equal(lstatSync(join(rootfs, 'escape'), { throwIfNoEntry: false }), undefined);
});

test('archive names and links stay inside the rootfs', async (t) => {
  const { context, rootfs } = dirs(t);
  const archive = await packed([
    { header: { name: '/abs.txt' }, content: 'abs' },
    { header: { name: 'etc-link', type: 'symlink', linkname: '/etc' } },
    { header: { name: 'etc-link/through-link' }, content: 'in rootfs etc' },
    { header: { name: 'file' }, content: 'shared' },
    { header: { name: 'hard', type: 'link', linkname: 'file' } },
  ]);
  writeFileSync(join(context, 'a.tar'), archive);
  await add(context, rootfs, 'a.tar', '/d');
  assert.equal(readFileSync(join(rootfs, 'd/abs.txt'), 'utf8'), 'abs', 'an absolute name lands inside the destination');
  assert.equal(readFileSync(join(rootfs, 'etc/through-link'), 'utf8'), 'in rootfs etc', "the archive's link to /etc is the rootfs /etc");
  assert.equal(statSync(join(rootfs, 'd/hard')).ino, statSync(join(rootfs, 'd/file')).ino);
});

test('ADD of a URL names the file after the URL, mode 0600, mtime from Last-Modified', async (t) => {
  const { rootfs } = dirs(t);
  const server = createServer((req, res) => {
    if (req.url !== '/files/tool.sh') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT' }).end('#!/bin/sh\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const options: CopyOptions = { dest: '/dl/', workdir: '/', owner: me, extractArchives: true };
  await addUrl(rootfs, `${base}/files/tool.sh`, options);
  const stats = statSync(join(rootfs, 'dl/tool.sh'));
  assert.equal(readFileSync(join(rootfs, 'dl/tool.sh'), 'utf8'), '#!/bin/sh\n');
  assert.equal(stats.mode & 0o7777, 0o600);
  assert.equal(stats.mtimeMs, Date.parse('2015-10-21T07:28:00Z'));
  await addUrl(rootfs, `${base}/files/tool.sh`, { ...options, dest: '/renamed', mode: 0o755 });
  assert.equal(statSync(join(rootfs, 'renamed')).mode & 0o7777, 0o755);
  await assert.rejects(addUrl(rootfs, `${base}/missing`, options), { code: 'Invalid', message: /404/ });
  await assert.rejects(addUrl(rootfs, 'ftp://example.com/x', options), { code: 'Invalid' });
});
