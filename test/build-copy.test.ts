/**
 * COPY/ADD ownership, which needs root to chown to other users: without --chown everything copied (and
 * every parent created on the way) belongs to 0:0, with it to the given owner; an unpacked archive keeps
 * its entries' owners unless --chown replaces them; setuid bits survive the chown.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, lstatSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import tar from 'tar-stream';
import { rootfsTree } from '../src/build/context/source-tree.ts';
import { resolveSources } from '../src/build/context/sources.ts';
import { type CopyOptions, copyIntoRootfs, writeHeredocFile } from '../src/build/copy/copy-into-rootfs.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (chown to other users)' : false;

function dirs(t: TestContext): { context: string; rootfs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'marina-copy-root-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'context'));
  mkdirSync(join(dir, 'rootfs'));
  return { context: join(dir, 'context'), rootfs: join(dir, 'rootfs') };
}

async function copy(context: string, rootfs: string, sources: string[], options: Partial<CopyOptions> & { dest: string }) {
  const tree = rootfsTree(context);
  const matches = await resolveSources(tree, sources, options.extractArchives ? 'ADD' : 'COPY');
  await copyIntoRootfs(rootfs, tree, matches, { workdir: '/', extractArchives: false, ...options });
}

function ownerOf(path: string): string {
  const stats = lstatSync(path);
  return `${stats.uid}:${stats.gid}`;
}

test('copied files belong to root unless --chown names another owner', { skip }, async (t) => {
  const { context, rootfs } = dirs(t);
  mkdirSync(join(context, 'app/sub'), { recursive: true });
  writeFileSync(join(context, 'app/sub/file'), 'x');
  symlinkSync('sub/file', join(context, 'app/link'));
  writeFileSync(join(context, 'suid'), '');
  chmodSync(join(context, 'suid'), 0o4755);
  chownSync(join(context, 'app/sub/file'), 1234, 1234);

  await copy(context, rootfs, ['app'], { dest: '/default' });
  for (const path of ['default', 'default/sub', 'default/sub/file', 'default/link']) assert.equal(ownerOf(join(rootfs, path)), '0:0', path);

  await copy(context, rootfs, ['app', 'suid'], { dest: '/new/parents/', owner: { uid: 1000, gid: 1001 } });
  for (const path of ['new', 'new/parents', 'new/parents/sub/file', 'new/parents/link', 'new/parents/suid']) {
    assert.equal(ownerOf(join(rootfs, path)), '1000:1001', path);
  }
  assert.equal(statSync(join(rootfs, 'new/parents/suid')).mode & 0o7777, 0o4755, 'setuid survives the chown');

  await writeHeredocFile(rootfs, 'EOF', 'hi\n', { dest: '/h', workdir: '/', owner: { uid: 7, gid: 8 }, extractArchives: false });
  assert.equal(ownerOf(join(rootfs, 'h')), '7:8');
});

test('an unpacked archive keeps its owners unless --chown replaces them', { skip }, async (t) => {
  const { context, rootfs } = dirs(t);
  const pack = tar.pack();
  pack.entry({ name: 'dir/', type: 'directory', uid: 33, gid: 33, mode: 0o750 });
  pack.entry({ name: 'dir/file', uid: 1000, gid: 100, mode: 0o640 }, 'x');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  writeFileSync(join(context, 'owners.tar'), Buffer.concat(chunks));

  await copy(context, rootfs, ['owners.tar'], { dest: '/kept', extractArchives: true });
  assert.equal(ownerOf(join(rootfs, 'kept/dir')), '33:33');
  assert.equal(ownerOf(join(rootfs, 'kept/dir/file')), '1000:100');
  assert.equal(statSync(join(rootfs, 'kept/dir')).mode & 0o7777, 0o750);

  await copy(context, rootfs, ['owners.tar'], { dest: '/chowned', extractArchives: true, owner: { uid: 5, gid: 6 } });
  assert.equal(ownerOf(join(rootfs, 'chowned/dir')), '5:6');
  assert.equal(ownerOf(join(rootfs, 'chowned/dir/file')), '5:6');
});
