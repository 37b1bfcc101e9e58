/**
 * System test of a writable snapshot's diff and commit, as root against the real kernel: changes made
 * through an overlay mount become a layer tar (diff) and an unpacked layer (commit), and that layer is
 * compared, byte for byte and attribute for attribute, with the one ensureLayers unpacks from the same tar
 * in a fresh snapshotter. Each test has its own temp roots; t.after unmounts and deletes them even on failure.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import tar from 'tar-stream';
import type { Digest } from '../src/content/content-store.ts';
import { isMarinaError } from '../src/errors.ts';
import { OverlaySnapshotter } from '../src/snapshot/overlay-snapshotter.ts';
import type { LayerSource } from '../src/snapshot/snapshotter.ts';
import { cleanupRoot } from './harness.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (overlay mounts, trusted.* xattrs)' : false;
const mtime = new Date('2020-09-13T12:26:40Z');
/** A valid VFS_CAP_REVISION_2 value granting cap_net_raw, effective (what `setcap cap_net_raw+ep` writes). */
const netRawCapability = '0x0100000200200000000000000000000000000000';

type Entry = Partial<tar.Header> & { name: string; body?: string };

async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const collected = collect(pack as unknown as Readable);
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ mtime, uid: 0, gid: 0, ...header }, body ?? '', (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  return collected;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function diffIdOf(bytes: Buffer): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function layerOf(bytes: Buffer): LayerSource {
  return {
    diffId: diffIdOf(bytes),
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    open: () => Readable.from([bytes]),
  };
}

function freshSnapshotter(t: TestContext): { root: string; snapshotter: OverlaySnapshotter } {
  const root = mkdtempSync(join(tmpdir(), 'marina-snapdiff-'));
  t.after(() => cleanupRoot(root));
  return { root, snapshotter: new OverlaySnapshotter(root) };
}

interface TarEntry {
  name: string;
  type: string | null | undefined;
  linkname: string | null | undefined;
  pax: Record<string, string> | null | undefined;
  body: string;
}

async function tarEntries(bytes: Buffer): Promise<TarEntry[]> {
  const extract = tar.extract();
  const entries: TarEntry[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header as tar.Header & { pax?: Record<string, string> | null };
      const body = await collect(entry as unknown as Readable);
      entries.push({ name: h.name, type: h.type, linkname: h.linkname, pax: h.pax, body: body.toString() });
    }
  })();
  extract.end(bytes);
  await done;
  return entries;
}

/**
 * Everything about a tree that a container or a later overlay could notice: per path its type, mode, owner,
 * mtime to the millisecond (not of whiteouts: that is the deletion time), device number, contents, link target,
 * which earlier path it is a hard link of, and all xattrs (trusted.* included).
 */
function describe(dir: string): string[] {
  const lines: string[] = [];
  const firstOfInode = new Map<number, string>();
  const walk = (relative: string) => {
    for (const name of readdirSync(join(dir, relative)).sort()) {
      const rel = relative === '' ? name : `${relative}/${name}`;
      const path = join(dir, rel);
      const st = lstatSync(path);
      const whiteout = st.isCharacterDevice() && st.rdev === 0;
      let line = `${rel} mode=${st.mode.toString(8)} owner=${st.uid}:${st.gid} rdev=${st.rdev}`;
      if (!whiteout) line += ` mtime=${st.mtimeMs}`;
      if (st.isFile()) {
        const first = firstOfInode.get(st.ino);
        if (first !== undefined) line += ` link-of=${first}`;
        else firstOfInode.set(st.ino, rel);
        line += ` sha=${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12)}`;
      }
      if (st.isSymbolicLink()) line += ` -> ${readlinkSync(path)}`;
      line += ` xattrs=${xattrsOf(path)}`;
      lines.push(line);
      if (st.isDirectory()) walk(rel);
    }
  };
  walk('');
  return lines;
}

function xattrsOf(path: string): string {
  const dump = execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', path], {
    encoding: 'utf8',
  });
  return dump
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .sort()
    .join(',');
}

const baseEntries: Entry[] = [
  { name: 'etc/', type: 'directory', mode: 0o755 },
  { name: 'etc/keep', body: 'kept' },
  { name: 'etc/gone', body: 'deleted above' },
  { name: 'usr/bin/', type: 'directory', mode: 0o755 },
  { name: 'usr/bin/tool', mode: 0o755, body: 'v1' },
  { name: 'var/cache/', type: 'directory', mode: 0o755 },
  { name: 'var/cache/old-a', body: 'a' },
  { name: 'var/cache/old-b', body: 'b' },
];

/** Makes the changes a RUN step could make, through the mounted snapshot. */
function changeThrough(rootfs: string): void {
  writeFileSync(join(rootfs, 'etc/new'), 'created');
  execFileSync('setfattr', ['-n', 'user.origin', '-v', 'build', join(rootfs, 'etc/new')]);
  appendFileSync(join(rootfs, 'usr/bin/tool'), ' patched');
  // After the write: writing a file drops its capabilities.
  execFileSync('setfattr', [
    '-n',
    'security.capability',
    '-v',
    netRawCapability,
    join(rootfs, 'usr/bin/tool'),
  ]);
  rmSync(join(rootfs, 'etc/gone'));
  rmSync(join(rootfs, 'var/cache'), { recursive: true });
  mkdirSync(join(rootfs, 'var/cache'), { mode: 0o700 });
  writeFileSync(join(rootfs, 'var/cache/fresh'), 'fresh');
  mkdirSync(join(rootfs, 'data'));
  writeFileSync(join(rootfs, 'data/a'), 'same inode');
  linkSync(join(rootfs, 'data/a'), join(rootfs, 'data/b'));
  // A socket left behind: tar cannot hold one, so the layer must not have it either.
  execFileSync('python3', [
    '-c',
    `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(join(rootfs, 'data/sock'))})`,
  ]);
}

test('diff turns overlay changes into whiteouts, opaque markers, PAX xattrs and hard links', {
  skip,
}, async (t) => {
  const { snapshotter } = freshSnapshotter(t);
  const base = layerOf(await tarOf(baseEntries));
  await snapshotter.ensureLayers([base]);
  await snapshotter.prepare('work', [base.diffId]);
  changeThrough(await snapshotter.mount('work'));
  await snapshotter.unmount('work');

  const bytes = await collect(snapshotter.diff('work'));
  const entries = await tarEntries(bytes);
  assert.deepEqual(
    entries.map((e) => `${e.type} ${e.name}${e.linkname ? ` -> ${e.linkname}` : ''}`),
    [
      'directory data',
      'file data/a',
      'link data/b -> data/a',
      'directory etc',
      'file etc/.wh.gone',
      'file etc/new',
      'directory usr',
      'directory usr/bin',
      'file usr/bin/tool',
      'directory var',
      'directory var/cache',
      'file var/cache/.wh..wh..opq',
      'file var/cache/fresh',
    ],
  );
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(byName.get('usr/bin/tool')?.body, 'v1 patched');
  assert.deepEqual(byName.get('etc/new')?.pax, { path: 'etc/new', 'SCHILY.xattr.user.origin': 'build' });
  assert.deepEqual(
    Buffer.from(byName.get('usr/bin/tool')?.pax?.['SCHILY.xattr.security.capability'] ?? '', 'utf8'),
    Buffer.from(netRawCapability.slice(2), 'hex'),
  );
  // Overlay's own bookkeeping (origin, impure, uuid) never leaks into the layer.
  for (const e of entries) for (const key of Object.keys(e.pax ?? {})) assert.doesNotMatch(key, /trusted/);
  // Nothing changed since: the same bytes again.
  assert.ok(bytes.equals(await collect(snapshotter.diff('work'))));
});

test('commit makes the upper the layer ensureLayers would unpack from the diff', { skip }, async (t) => {
  const { root, snapshotter } = freshSnapshotter(t);
  const baseBytes = await tarOf(baseEntries);
  const base = layerOf(baseBytes);
  await snapshotter.ensureLayers([base]);
  await snapshotter.prepare('work', [base.diffId]);
  changeThrough(await snapshotter.mount('work'));
  const diffBytes = await collect(snapshotter.diff('work'));
  const diffId = diffIdOf(diffBytes);

  // Committing unmounts by itself: the snapshot is still mounted here.
  await snapshotter.commit('work', diffId);
  assert.deepEqual(await snapshotter.list(), []);
  const layers = join(root, 'snapshots', 'layers');
  assert.deepEqual(readdirSync(layers).sort(), [base.diffId, diffId].map((d) => d.slice(7)).sort());

  await snapshotter.prepare('after', [base.diffId, diffId]);
  const merged = await snapshotter.mount('after');
  assert.deepEqual(readdirSync(join(merged, 'etc')).sort(), ['keep', 'new']);
  assert.deepEqual(readdirSync(join(merged, 'var/cache')), ['fresh']);
  assert.equal(readFileSync(join(merged, 'usr/bin/tool'), 'utf8'), 'v1 patched');
  assert.equal(lstatSync(join(merged, 'var/cache')).mode & 0o777, 0o700);
  assert.match(xattrsOf(join(merged, 'etc/new')), /user\.origin=0x6275696c64/);
  assert.equal(existsSync(join(merged, 'data/sock')), false);

  // The same tar through ensureLayers in a fresh root: the same layer directory and the same merged view.
  const fresh = freshSnapshotter(t);
  const applied = layerOf(diffBytes);
  await fresh.snapshotter.ensureLayers([base, applied]);
  assert.deepEqual(
    describe(join(layers, diffId.slice(7))),
    describe(join(fresh.root, 'snapshots', 'layers', diffId.slice(7))),
  );
  await fresh.snapshotter.prepare('check', [base.diffId, diffId]);
  assert.deepEqual(describe(merged), describe(await fresh.snapshotter.mount('check')));
});

test('commit of a layer already unpacked keeps it and drops the snapshot; unknown keys are NotFound', {
  skip,
}, async (t) => {
  const { root, snapshotter } = freshSnapshotter(t);
  const base = layerOf(await tarOf(baseEntries));
  const top = layerOf(
    await tarOf([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/top', body: 'top' },
    ]),
  );
  await snapshotter.ensureLayers([base, top]);
  await snapshotter.prepare('again', [base.diffId]);
  writeFileSync(join(await snapshotter.mount('again'), 'scratch'), 'differs from the layer');
  const before = describe(join(root, 'snapshots', 'layers', top.diffId.slice(7)));

  await snapshotter.commit('again', top.diffId);
  assert.deepEqual(await snapshotter.list(), []);
  assert.deepEqual(describe(join(root, 'snapshots', 'layers', top.diffId.slice(7))), before);
  await assert.rejects(snapshotter.commit('again', top.diffId), (err: unknown) =>
    isMarinaError(err, 'NotFound'),
  );
  assert.throws(
    () => snapshotter.diff('again'),
    (err: unknown) => isMarinaError(err, 'NotFound'),
  );
});
