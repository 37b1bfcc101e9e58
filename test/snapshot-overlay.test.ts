/**
 * System tests of the overlay snapshotter, as root against the real kernel: layers are built in memory
 * with tar-stream, unpacked, stacked and mounted with overlayfs. Each test has its own temp root, and
 * t.after unmounts and deletes it even when the test fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Digest } from '../src/content/content-store.ts';
import { isMarinaError } from '../src/errors.ts';
import { OverlaySnapshotter } from '../src/snapshot/overlay-snapshotter.ts';
import type { LayerSource } from '../src/snapshot/snapshotter.ts';
import { cleanupRoot } from './harness.ts';

type Entry = Partial<tar.Header> & { name: string; pax?: Record<string, string>; body?: string | Buffer };

const mtime = new Date('2020-09-13T12:26:40Z');

async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ mtime, uid: 0, gid: 0, ...header }, body ?? '', (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

interface TestLayer extends LayerSource {
  opened: number;
}

async function layerOf(entries: readonly Entry[], options: { gzip?: boolean; diffId?: Digest } = {}): Promise<TestLayer> {
  const uncompressed = await tarOf(entries);
  const blob = options.gzip ? gzipSync(uncompressed) : uncompressed;
  const layer: TestLayer = {
    diffId: options.diffId ?? `sha256:${createHash('sha256').update(uncompressed).digest('hex')}`,
    mediaType: options.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
    opened: 0,
    open() {
      layer.opened += 1;
      // Small chunks, so that unpacking really streams.
      return Readable.from(Array.from({ length: Math.ceil(blob.length / 4096) }, (_, i) => blob.subarray(i * 4096, (i + 1) * 4096)));
    },
  };
  return layer;
}

function freshRoot(t: TestContext, options: { recentLayerGraceMs?: number } = {}): { root: string; snapshotter: OverlaySnapshotter } {
  const root = mkdtempSync(join(tmpdir(), 'marina-snap-'));
  t.after(() => cleanupRoot(root));
  return { root, snapshotter: new OverlaySnapshotter(root, options) };
}

function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(`${root}/`));
}

const layerDir = (root: string, diffId: Digest) => join(root, 'snapshots', 'layers', diffId.slice('sha256:'.length));

function layerDirEntries(root: string): string[] {
  const dir = join(root, 'snapshots', 'layers');
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function mounted(snapshotter: OverlaySnapshotter, key: string, layers: readonly LayerSource[]): Promise<string> {
  await snapshotter.ensureLayers(layers);
  await snapshotter.prepare(
    key,
    layers.map((l) => l.diffId),
  );
  return snapshotter.mount(key);
}

test('whiteouts hide lower files and opaque directories hide lower directory contents', async (t) => {
  const { snapshotter } = freshRoot(t);
  const base = await layerOf([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/keep', body: 'kept' },
    { name: 'etc/gone', body: 'deleted above' },
    { name: 'var/cache/', type: 'directory', mode: 0o755 },
    { name: 'var/cache/old-a', body: 'a' },
    { name: 'var/cache/old-b', body: 'b' },
  ]);
  const top = await layerOf([
    { name: 'etc/.wh.gone' },
    { name: 'var/cache/.wh..wh..opq' },
    { name: 'var/cache/new', body: 'new' },
  ]);
  const rootfs = await mounted(snapshotter, 'c1', [base, top]);

  assert.equal(readFileSync(join(rootfs, 'etc/keep'), 'utf8'), 'kept');
  assert.equal(existsSync(join(rootfs, 'etc/gone')), false);
  assert.deepEqual(readdirSync(join(rootfs, 'etc')), ['keep']);
  assert.deepEqual(readdirSync(join(rootfs, 'var/cache')), ['new']);
  // The whiteout names themselves never show.
  assert.equal(existsSync(join(rootfs, 'etc/.wh.gone')), false);
});

test('files keep links, modes, owners, mtimes, xattrs, fifos and devices under dev/', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const layer = await layerOf([
    { name: 'bin/', type: 'directory', mode: 0o755 },
    { name: 'bin/busybox', mode: 0o755, body: 'binary' },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
    { name: 'usr/bin/su', mode: 0o4755, body: 'setuid' },
    { name: 'usr/bin/wall', mode: 0o2755, uid: 0, gid: 5, body: 'setgid' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'home/app/data', mode: 0o640, uid: 1000, gid: 2000, body: 'owned' },
    { name: 'etc/tagged', pax: { 'SCHILY.xattr.user.marina': 'hello' }, body: 'x' },
    { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
  ]);
  const rootfs = await mounted(snapshotter, 'meta', [layer]);

  for (const base of [layerDir(root, layer.diffId), rootfs]) {
    const busybox = lstatSync(join(base, 'bin/busybox'));
    assert.equal(lstatSync(join(base, 'bin/ls')).ino, busybox.ino, 'hard link shares the inode');
    assert.equal(busybox.nlink, 2);
    assert.equal(readlinkSync(join(base, 'bin/sh')), 'busybox');
    assert.equal(busybox.mode & 0o7777, 0o755);
    assert.equal(busybox.mtime.getTime(), mtime.getTime());
    assert.equal(lstatSync(join(base, 'usr/bin/su')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(base, 'usr/bin/wall')).mode & 0o7777, 0o2755);
    assert.equal(lstatSync(join(base, 'usr/bin/wall')).gid, 5);
    assert.equal(lstatSync(join(base, 'tmp')).mode & 0o7777, 0o1777);
    const data = lstatSync(join(base, 'home/app/data'));
    assert.deepEqual([data.uid, data.gid, data.mode & 0o7777], [1000, 2000, 0o640]);
    assert.equal(lstatSync(join(base, 'run/fifo')).isFIFO(), true);
    const devNull = lstatSync(join(base, 'dev/null'));
    assert.equal(devNull.isCharacterDevice(), true);
    assert.equal(devNull.rdev, (1 << 8) | 3);
    const xattr = execFileSync('getfattr', ['--only-values', '-n', 'user.marina', join(base, 'etc/tagged')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.equal(xattr, 'hello');
  }
  // Directories get their own mtime even though their children were created after them.
  assert.equal(lstatSync(join(layerDir(root, layer.diffId), 'bin')).mtime.getTime(), mtime.getTime());
});

const traversals: { label: string; entries: (outside: string) => Entry[]; message: RegExp }[] = [
  { label: '../x', entries: () => [{ name: '../x', body: 'x' }], message: /"\.\.\/x" escapes the layer root/ },
  { label: 'a/../../x', entries: () => [{ name: 'a/../../x', body: 'x' }], message: /escapes the layer root/ },
  {
    label: 'symlink a -> /etc, then a/<file>',
    entries: () => [
      { name: 'a', type: 'symlink', linkname: '/etc' },
      { name: `a/marina-escape-${randomBytes(4).toString('hex')}`, body: 'x' },
    ],
    message: /writes through the symlink "a"/,
  },
  {
    label: 'symlink a -> outside dir, then a/passwd',
    entries: (outside) => [
      { name: 'a', type: 'symlink', linkname: outside },
      { name: 'a/passwd', body: 'root::0:0::/:/bin/sh' },
    ],
    message: /writes through the symlink "a"/,
  },
  {
    label: 'symlink a -> ../.., then a/x',
    entries: () => [
      { name: 'a', type: 'symlink', linkname: '../..' },
      { name: 'a/x', body: 'x' },
    ],
    message: /writes through the symlink "a"/,
  },
  {
    label: 'symlink d -> outside dir, then directory d/sub',
    entries: (outside) => [
      { name: 'd', type: 'symlink', linkname: outside },
      { name: 'd/sub/', type: 'directory' },
    ],
    message: /writes through the symlink "d"/,
  },
  {
    label: 'hard link to ../../etc/passwd',
    entries: () => [{ name: 'pw', type: 'link', linkname: '../../etc/passwd' }],
    message: /hard link to "\.\.\/\.\.\/etc\/passwd", which escapes the layer root/,
  },
  {
    label: 'hard link through a symlink to /etc',
    entries: () => [
      { name: 's', type: 'symlink', linkname: '/etc' },
      { name: 'pw', type: 'link', linkname: 's/passwd' },
    ],
    message: /whose parent "s" is not a directory of this layer/,
  },
  {
    label: 'hard link to a file of a lower layer',
    entries: () => [{ name: 'pw', type: 'link', linkname: 'etc/passwd' }],
    message: /not in this layer/,
  },
  {
    label: 'character device outside dev/',
    entries: () => [{ name: 'etc/kmem', type: 'character-device', devmajor: 1, devminor: 2 }],
    message: /"etc\/kmem" is a device node outside dev\//,
  },
  {
    label: 'opaque marker through a symlink',
    entries: (outside) => [
      { name: 'o', type: 'symlink', linkname: outside },
      { name: 'o/.wh..wh..opq' },
    ],
    message: /writes through the symlink "o"/,
  },
  {
    label: 'whiteout through a symlink',
    entries: (outside) => [
      { name: 'w', type: 'symlink', linkname: outside },
      { name: 'w/.wh.victim' },
    ],
    message: /writes through the symlink "w"/,
  },
];

for (const traversal of traversals) {
  test(`refuses a layer with ${traversal.label}, leaving no layer and nothing outside`, async (t) => {
    const { root, snapshotter } = freshRoot(t);
    const outside = join(root, 'outside');
    execFileSync('mkdir', ['-p', outside]);
    writeFileSync(join(outside, 'victim'), 'untouched');
    const entries = traversal.entries(outside);
    const layer = await layerOf(entries);

    await assert.rejects(snapshotter.ensureLayers([layer]), (err) => {
      assert.ok(isMarinaError(err, 'Invalid'), `expected Invalid, got ${String(err)}`);
      assert.match(err.message, traversal.message);
      return true;
    });
    assert.equal(existsSync(layerDir(root, layer.diffId)), false);
    assert.deepEqual(layerDirEntries(root), [], 'no temporary directory is left behind');
    assert.deepEqual(readdirSync(outside), ['victim']);
    assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'untouched');
    assert.equal(existsSync(join(root, 'snapshots', 'x')), false);
    for (const entry of entries) {
      if (entry.name.startsWith('a/marina-escape-')) assert.equal(existsSync(join('/etc', entry.name.slice(2))), false);
    }
  });
}

test('a layer whose content does not match its diff ID is refused and leaves nothing', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const wrong: Digest = `sha256:${'0'.repeat(64)}`;
  const layer = await layerOf([{ name: 'etc/file', body: 'x' }], { diffId: wrong });
  await assert.rejects(snapshotter.ensureLayers([layer]), (err) => isMarinaError(err, 'Invalid') && /does not match/.test(err.message));
  assert.deepEqual(layerDirEntries(root), []);
  await assert.rejects(snapshotter.prepare('c', [wrong]), (err) => isMarinaError(err, 'NotFound'));
});

test('a corrupt gzip blob is refused as Invalid and leaves nothing', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const good = gzipSync(await tarOf([{ name: 'f', body: 'x'.repeat(10_000) }]));
  const corrupt = Buffer.concat([good.subarray(0, 20), Buffer.alloc(200, 0xff)]);
  const layer: LayerSource = {
    diffId: `sha256:${'1'.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    open: () => Readable.from([corrupt]),
  };
  await assert.rejects(snapshotter.ensureLayers([layer]), (err) => isMarinaError(err, 'Invalid'));
  assert.deepEqual(layerDirEntries(root), []);
});

test('gzip layers unpack once even when asked for concurrently', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const layer = await layerOf([{ name: 'etc/os-release', body: 'ID=marina\n' }], { gzip: true });
  await Promise.all([snapshotter.ensureLayers([layer]), snapshotter.ensureLayers([layer, layer])]);
  assert.equal(layer.opened, 1);
  await snapshotter.ensureLayers([layer]);
  assert.equal(layer.opened, 1, 'a present layer is not unpacked again');
  assert.equal(readFileSync(join(layerDir(root, layer.diffId), 'etc/os-release'), 'utf8'), 'ID=marina\n');
});

test('two containers share a layer and each sees only its own writes', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const layer = await layerOf([{ name: 'etc/shared', body: 'original' }]);
  const first = await mounted(snapshotter, 'first', [layer]);
  await snapshotter.prepare('second', [layer.diffId]);
  const second = await snapshotter.mount('second');

  writeFileSync(join(first, 'etc/shared'), 'changed by first');
  writeFileSync(join(second, 'only-second'), 'mine');

  assert.equal(readFileSync(join(first, 'etc/shared'), 'utf8'), 'changed by first');
  assert.equal(readFileSync(join(second, 'etc/shared'), 'utf8'), 'original');
  assert.equal(existsSync(join(first, 'only-second')), false);
  assert.equal(readFileSync(join(layerDir(root, layer.diffId), 'etc/shared'), 'utf8'), 'original');
  assert.equal(await snapshotter.usage('second'), 'mine'.length);
  assert.deepEqual(await snapshotter.list(), ['first', 'second']);
});

test('mount is idempotent; unmount and remove leave no mount', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const layer = await layerOf([{ name: 'f', body: 'x' }]);
  const rootfs = await mounted(snapshotter, 'c', [layer]);
  assert.equal(await snapshotter.mount('c'), rootfs);
  const [again, concurrently] = await Promise.all([snapshotter.mount('c'), snapshotter.mount('c')]);
  assert.equal(again, rootfs);
  assert.equal(concurrently, rootfs);
  assert.deepEqual(mountsUnder(root), [rootfs]);

  await snapshotter.unmount('c');
  await snapshotter.unmount('c');
  assert.deepEqual(mountsUnder(root), []);
  assert.equal(await snapshotter.mount('c'), rootfs);

  await snapshotter.remove('c');
  assert.deepEqual(mountsUnder(root), []);
  assert.deepEqual(await snapshotter.list(), []);
  assert.deepEqual(readdirSync(join(root, 'snapshots', 'containers')), []);
  await snapshotter.remove('c');
  await assert.rejects(snapshotter.mount('c'), (err) => isMarinaError(err, 'NotFound'));
});

test('remove detaches a busy mount', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const rootfs = await mounted(snapshotter, 'busy', [await layerOf([{ name: 'f', body: 'x' }])]);
  // A process with its working directory inside keeps the mount busy.
  const holder = execFileSync('sh', ['-c', `cd ${rootfs} && (sleep 30 >/dev/null 2>&1 & echo $!)`], { encoding: 'utf8' }).trim();
  t.after(() => {
    try {
      process.kill(Number(holder), 'SIGKILL');
    } catch {}
  });
  await snapshotter.remove('busy');
  assert.deepEqual(mountsUnder(root), []);
  assert.deepEqual(await snapshotter.list(), []);
});

test('prepare refuses an existing key, missing layers and bad keys, creating nothing', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const layer = await layerOf([{ name: 'f', body: 'x' }]);
  await snapshotter.ensureLayers([layer]);
  await snapshotter.prepare('c', [layer.diffId]);
  await assert.rejects(snapshotter.prepare('c', [layer.diffId]), (err) => isMarinaError(err, 'Conflict'));
  const missing: Digest = `sha256:${'a'.repeat(64)}`;
  await assert.rejects(snapshotter.prepare('d', [layer.diffId, missing]), (err) => isMarinaError(err, 'NotFound'));
  await assert.rejects(snapshotter.prepare('../escape', [layer.diffId]), (err) => isMarinaError(err, 'Invalid'));
  await assert.rejects(snapshotter.prepare('e', ['sha256:nothex' as Digest]), (err) => isMarinaError(err, 'Invalid'));
  assert.deepEqual(await snapshotter.list(), ['c']);
  assert.deepEqual(readdirSync(join(root, 'snapshots', 'containers')), ['c']);
});

test('an image without layers mounts over an empty lower directory', async (t) => {
  const { snapshotter } = freshRoot(t);
  await snapshotter.prepare('scratch', []);
  const rootfs = await snapshotter.mount('scratch');
  assert.deepEqual(readdirSync(rootfs), []);
  writeFileSync(join(rootfs, 'hello'), 'hi');
  assert.equal(await snapshotter.usage('scratch'), 2);
});

test('a deep stack of layers mounts within the kernel limit on mount options', async (t) => {
  const { snapshotter } = freshRoot(t);
  const layers = await Promise.all(Array.from({ length: 120 }, (_, i) => layerOf([{ name: `layer-${i}`, body: String(i) }])));
  const rootfs = await mounted(snapshotter, 'deep', layers);
  assert.equal(readdirSync(rootfs).length, 120);
  assert.equal(readFileSync(join(rootfs, 'layer-119'), 'utf8'), '119');
});

test('pruneLayers keeps layers in use and removes the rest, including stale temporaries', async (t) => {
  const { root, snapshotter } = freshRoot(t, { recentLayerGraceMs: 0 });
  const used = await layerOf([{ name: 'used', body: 'u' }]);
  const kept = await layerOf([{ name: 'kept', body: 'k' }]);
  const unused = await layerOf([{ name: 'unused', body: 'x' }]);
  await snapshotter.ensureLayers([used, kept, unused]);
  await snapshotter.prepare('c', [used.diffId]);
  // What a kill -9 in the middle of an unpack leaves behind.
  const stale = join(root, 'snapshots', 'layers', `${'b'.repeat(64)}.tmp-dead`);
  execFileSync('mkdir', ['-p', join(stale, 'half')]);
  const staleSnapshot = join(root, 'snapshots', 'containers', '.gone.tmp-dead');
  execFileSync('mkdir', ['-p', join(staleSnapshot, 'upper')]);

  const removed = await snapshotter.pruneLayers(new Set([kept.diffId]));
  assert.deepEqual(removed, [unused.diffId]);
  assert.deepEqual(layerDirEntries(root).sort(), [used.diffId, kept.diffId].map((d) => d.slice(7)).sort());
  assert.deepEqual(readdirSync(join(root, 'snapshots', 'containers')), ['c']);
  assert.deepEqual(await snapshotter.list(), ['c']);
});

test('pruneLayers leaves a layer just made ready: a caller prepares on it next', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const fresh = await layerOf([{ name: 'fresh', body: 'f' }]);
  await snapshotter.ensureLayers([fresh]);
  assert.deepEqual(await snapshotter.pruneLayers(new Set()), []);
  assert.deepEqual(layerDirEntries(root), [fresh.diffId.slice(7)]);
  await snapshotter.prepare('c', [fresh.diffId]);
});

test('later entries replace earlier ones, also when the first whiteout was replaced', async (t) => {
  const { root, snapshotter } = freshRoot(t);
  const layer = await layerOf([
    { name: 'a/.wh.one' },
    { name: 'a/one', body: 'replaced the whiteout' },
    { name: 'a/.wh.two' },
    { name: 'a/.wh.three' },
    { name: 'dir/', type: 'directory' },
    { name: 'dir/child', body: 'c' },
    { name: 'dir', body: 'now a file' },
  ]);
  await snapshotter.ensureLayers([layer]);
  const dir = layerDir(root, layer.diffId);
  assert.equal(readFileSync(join(dir, 'a/one'), 'utf8'), 'replaced the whiteout');
  for (const name of ['two', 'three']) {
    const stats = lstatSync(join(dir, 'a', name));
    assert.equal(stats.isCharacterDevice() && stats.rdev === 0, true, `${name} is a whiteout`);
  }
  assert.equal(readFileSync(join(dir, 'dir'), 'utf8'), 'now a file');
});
