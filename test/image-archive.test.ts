/**
 * Image archives end to end on a real state root: content store on disk, SQLite state database. No
 * daemon is needed; each test has its own temporary root, removed afterwards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { type TestContext, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { GcCollector } from '../src/content/content-collector-impl.ts';
import type { Digest } from '../src/content/content-store.ts';
import { FileContentStore } from '../src/content/file-content-store.ts';
import { StateDb } from '../src/db/state-db.ts';
import { isMarinaError } from '../src/errors.ts';
import { type ImageEventAction, ImageStore, type ImageStoreOptions } from '../src/image/image-store.ts';
import { busyboxPath, seedBusybox } from '../src/image/seed.ts';

interface Setup {
  root: string;
  content: FileContentStore;
  images: ImageStore;
  events: [ImageEventAction, string, Record<string, string>][];
}

function setup(t: TestContext, options: ImageStoreOptions = {}): Setup {
  const root = mkdtempSync(join(tmpdir(), 'marina-image-test-'));
  const db = new StateDb(join(root, 'state.db'));
  t.after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });
  const content = new FileContentStore(root);
  const events: Setup['events'] = [];
  const images = new ImageStore(db, content, new GcCollector(content), {
    ...options,
    onEvent: (action, id, attributes) => events.push([action, id, attributes]),
  });
  return { root, content, images, events };
}

const sha256 = (data: Buffer | string): Digest => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hex = (digest: Digest) => digest.slice(7);

interface TarFile {
  name: string;
  data?: Buffer | string;
  type?: 'file' | 'symlink' | 'directory';
  linkname?: string;
}

async function makeTar(files: TarFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const out = buffer(pack as unknown as Readable);
  for (const file of files) {
    const type = file.type ?? 'file';
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      const header = {
        name: file.name,
        type,
        mtime: new Date(0),
        mode: type === 'directory' ? 0o755 : 0o644,
        linkname: file.linkname,
      };
      if (type === 'file') pack.entry(header, Buffer.from(file.data ?? ''), done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  return out;
}

async function tarEntries(
  data: Buffer,
): Promise<Map<string, { type: string; linkname: string | null; body: Buffer }>> {
  const extract = tar.extract();
  const entries = new Map<string, { type: string; linkname: string | null; body: Buffer }>();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry as unknown as AsyncIterable<Buffer>) chunks.push(c);
      entries.set(entry.header.name, {
        type: entry.header.type,
        linkname: entry.header.linkname ?? null,
        body: Buffer.concat(chunks),
      });
    }
  })();
  extract.end(data);
  await done;
  return entries;
}

/** A `docker save` tarball in the classic layout: <id>/layer.tar, <config hex>.json, manifest.json. */
async function dockerSaveTarball(options: { repoTags: string[]; fileText: string; corruptLayer?: boolean }) {
  const layer = await makeTar([{ name: 'hello.txt', data: options.fileText }]);
  const diffId = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['cat', '/hello.txt'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const configDigest = sha256(config);
  const storedLayer = options.corruptLayer
    ? Buffer.concat([layer.subarray(0, 600), Buffer.from('X'), layer.subarray(601)])
    : layer;
  const manifest = [
    { Config: `${hex(configDigest)}.json`, RepoTags: options.repoTags, Layers: ['abc123/layer.tar'] },
  ];
  const archive = await makeTar([
    { name: 'abc123/', type: 'directory' },
    { name: 'abc123/VERSION', data: '1.0' },
    { name: 'abc123/layer.tar', data: storedLayer },
    { name: `${hex(configDigest)}.json`, data: config },
    { name: 'manifest.json', data: JSON.stringify(manifest) },
  ]);
  return { archive, configDigest, diffId };
}

async function blobDigests(content: FileContentStore): Promise<Set<Digest>> {
  const out = new Set<Digest>();
  for await (const blob of content.list()) out.add(blob.digest);
  return out;
}

test('loads a docker save tarball', async (t) => {
  const { images, events } = setup(t);
  const { archive, configDigest, diffId } = await dockerSaveTarball({
    repoTags: ['example/app:1'],
    fileText: 'hi\n',
  });
  const result = await images.load(Readable.from([archive]));
  assert.deepEqual(result.loaded, ['example/app:1']);
  const image = await images.inspect('example/app:1');
  assert.equal(image.id, configDigest);
  assert.deepEqual(image.names, ['docker.io/example/app:1']);
  assert.deepEqual(image.config.config?.Cmd, ['cat', '/hello.txt']);
  const [source] = images.layerSources(image);
  assert.equal(source?.diffId, diffId);
  assert.equal(
    sha256(await buffer(source!.open())),
    diffId,
    'an uncompressed docker-save layer is stored as is',
  );
  assert.deepEqual(events, [['load', configDigest, { name: 'example/app:1' }]]);
  // The same image by short ID, full ID and manifest digest.
  assert.equal((await images.inspect(hex(configDigest).slice(0, 12))).id, configDigest);
  assert.equal((await images.inspect(configDigest)).id, configDigest);
  assert.equal((await images.inspect(image.manifestDigest)).id, configDigest);
  assert.equal((await images.inspect(`example/app@${image.manifestDigest}`)).id, configDigest);
  // Loading the same image under another name reports only the new name and keeps both.
  const renamed = await dockerSaveTarball({ repoTags: ['example/other:2'], fileText: 'hi\n' });
  assert.deepEqual((await images.load(Readable.from([renamed.archive]))).loaded, ['example/other:2']);
  assert.deepEqual((await images.inspect(configDigest)).names, [
    'docker.io/example/app:1',
    'docker.io/example/other:2',
  ]);
});

test('save then load into another root gives the same image, names and bytes', async (t) => {
  const first = setup(t);
  const { archive } = await dockerSaveTarball({ repoTags: ['example/app:1'], fileText: 'round trip\n' });
  await first.images.load(Readable.from([archive]));
  await first.images.tag('example/app:1', 'localhost:5000/app:v2');
  const original = await first.images.inspect('example/app:1');

  const saved = await buffer(first.images.save(['example/app:1', 'localhost:5000/app:v2']));
  const again = await buffer(first.images.save(['example/app:1', 'localhost:5000/app:v2']));
  assert.ok(saved.equals(again), 'saving twice gives identical bytes');

  const entries = await tarEntries(saved);
  assert.ok(
    entries.has('oci-layout') &&
      entries.has('index.json') &&
      entries.has('manifest.json') &&
      entries.has('repositories'),
  );
  const dockerManifest = JSON.parse(entries.get('manifest.json')!.body.toString());
  assert.deepEqual(dockerManifest[0].RepoTags, ['example/app:1', 'localhost:5000/app:v2']);
  assert.equal(dockerManifest[0].Config, `blobs/sha256/${hex(original.id)}`);
  const index = JSON.parse(entries.get('index.json')!.body.toString());
  assert.deepEqual(
    index.manifests.map(
      (m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'],
    ),
    ['1', 'v2'],
  );
  assert.deepEqual(JSON.parse(entries.get('repositories')!.body.toString()), {
    'example/app': { '1': hex(original.id) },
    'localhost:5000/app': { v2: hex(original.id) },
  });

  const second = setup(t);
  const result = await second.images.load(Readable.from([saved]));
  assert.deepEqual(result.loaded.sort(), ['example/app:1', 'localhost:5000/app:v2']);
  const loaded = await second.images.inspect('localhost:5000/app:v2');
  assert.equal(loaded.id, original.id);
  assert.equal(loaded.manifestDigest, original.manifestDigest);
});

test('the saved docker manifest.json alone (without index.json) loads too', async (t) => {
  const first = setup(t);
  const { archive, configDigest } = await dockerSaveTarball({
    repoTags: ['example/app:1'],
    fileText: 'docker side\n',
  });
  await first.images.load(Readable.from([archive]));
  const entries = await tarEntries(await buffer(first.images.save(['example/app:1'])));
  entries.delete('index.json');
  entries.delete('oci-layout');
  const dockerOnly = await makeTar(
    [...entries].filter(([, e]) => e.type === 'file').map(([name, e]) => ({ name, data: e.body })),
  );
  const second = setup(t);
  await second.images.load(Readable.from([dockerOnly]));
  assert.equal((await second.images.inspect('example/app:1')).id, configDigest);
});

test('loads an OCI layout whose index points at a multi-platform index', async (t) => {
  const { images } = setup(t);
  const layer = await makeTar([{ name: 'etc/os-release', data: 'ID=test\n' }]);
  const diffId = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } }),
  );
  const desc = (mediaType: string, data: Buffer, extra: object = {}) => ({
    mediaType,
    digest: sha256(data),
    size: data.length,
    ...extra,
  });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: desc('application/vnd.oci.image.config.v1+json', config),
      layers: [desc('application/vnd.oci.image.layer.v1.tar', layer)],
    }),
  );
  const otherArch = Buffer.from('{"not":"fetched"}');
  const nested = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        desc('application/vnd.oci.image.manifest.v1+json', otherArch, {
          platform: { os: 'linux', architecture: 'arm64' },
        }),
        desc('application/vnd.oci.image.manifest.v1+json', manifest, {
          platform: { os: 'linux', architecture: 'amd64' },
        }),
      ],
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      desc('application/vnd.oci.image.index.v1+json', nested, {
        annotations: { 'org.opencontainers.image.ref.name': 'registry.test/os:1' },
      }),
    ],
  };
  const archive = await makeTar([
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', data: JSON.stringify(index) },
    ...[layer, config, manifest, nested].map((data) => ({ name: `blobs/sha256/${hex(sha256(data))}`, data })),
  ]);
  const result = await images.load(Readable.from([archive]));
  assert.deepEqual(result.loaded, ['registry.test/os:1']);
  const image = await images.inspect('registry.test/os:1');
  assert.equal(image.id, sha256(config));
  assert.equal(image.manifestDigest, sha256(manifest));
});

test('corrupt or truncated archives are refused and leave no image or name', async (t) => {
  const { images } = setup(t);
  const corrupt = await dockerSaveTarball({
    repoTags: ['example/bad:1'],
    fileText: 'corrupt me please\n',
    corruptLayer: true,
  });
  const good = await dockerSaveTarball({ repoTags: ['example/bad:1'], fileText: 'fine\n' });
  const truncated = good.archive.subarray(0, Math.floor(good.archive.length / 2));
  const wrongBlob = await makeTar([
    { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [] }) },
    { name: `blobs/sha256/${hex(sha256('one'))}`, data: 'two' },
  ]);
  for (const [what, archive, reason] of [
    ['corrupt layer', corrupt.archive, /diff ID/],
    ['truncated', truncated, /./],
    ['blob under the wrong digest', wrongBlob, /digest mismatch/],
    ['not a tar', Buffer.from('hello world'), /./],
  ] as const) {
    await assert.rejects(
      images.load(Readable.from([archive])),
      (err) =>
        isMarinaError(err, 'Invalid') &&
        err.message.startsWith('invalid image archive: ') &&
        reason.test(err.message),
      what,
    );
    assert.deepEqual(await images.list(), [], `${what}: nothing visible`);
    await assert.rejects(images.inspect('example/bad:1'), (err) => isMarinaError(err, 'NotFound'));
  }
});

test('remove untags, then deletes; a used image needs force; GC keeps what is referenced', async (t) => {
  const inUse = new Set<string>();
  const { images, content, events } = setup(t, { isInUse: (id) => inUse.has(id) });
  const a = await dockerSaveTarball({ repoTags: ['example/a:1'], fileText: 'a\n' });
  const b = await dockerSaveTarball({ repoTags: ['example/b:1'], fileText: 'b\n' });
  await images.load(Readable.from([a.archive]));
  await images.load(Readable.from([b.archive]));
  await images.tag('example/a:1', 'example/a:alias');
  const imageA = await images.inspect('example/a:1');
  const imageB = await images.inspect('example/b:1');
  const blobsOfA = [imageA.manifestDigest, imageA.id, ...imageA.manifest.layers.map((l) => l.digest)];
  const blobsOfB = [imageB.manifestDigest, imageB.id, ...imageB.manifest.layers.map((l) => l.digest)];
  const stray = await content.write('nobody refers to me');

  await assert.rejects(
    images.remove(imageA.id),
    (err) => isMarinaError(err, 'Conflict') && /several names/.test(err.message),
  );
  assert.deepEqual(await images.remove('example/a:alias'), { untagged: ['example/a:alias'], deleted: [] });
  inUse.add(imageA.id);
  await assert.rejects(
    images.remove('example/a:1'),
    (err) => isMarinaError(err, 'Conflict') && /container uses it/.test(err.message),
  );
  assert.equal((await images.inspect('example/a:1')).id, imageA.id, 'a refused removal changes nothing');

  const removed = await images.remove('example/a:1', { force: true });
  assert.deepEqual(removed, { untagged: ['example/a:1'], deleted: [imageA.id] });
  assert.ok(events.some(([action, id]) => action === 'delete' && id === imageA.id));
  const left = await blobDigests(content);
  for (const d of blobsOfA) assert.equal(left.has(d), false, `blob ${d} of the removed image is collected`);
  for (const d of blobsOfB) assert.equal(left.has(d), true, `blob ${d} of the remaining image is kept`);
  assert.equal(left.has(stray.digest), false, 'unreferenced blobs are collected');
  await assert.rejects(
    images.inspect('example/a:1'),
    (err) => isMarinaError(err, 'NotFound') && /^No such image: example\/a:1/.test(err.message),
  );
});

test('prune removes dangling images, and with all also unused named ones', async (t) => {
  const inUse = new Set<string>();
  const { images, content } = setup(t, { isInUse: (id) => inUse.has(id) });
  const a = await dockerSaveTarball({ repoTags: ['example/a:1'], fileText: 'a\n' });
  const b = await dockerSaveTarball({ repoTags: ['example/a:1'], fileText: 'b\n' });
  const c = await dockerSaveTarball({ repoTags: ['example/c:1'], fileText: 'c\n' });
  for (const x of [a, b, c]) await images.load(Readable.from([x.archive]));
  // Loading b moved the name away from a, which is now dangling.
  assert.deepEqual((await images.inspect(a.configDigest)).names, []);
  const dangling = await images.prune();
  assert.deepEqual(dangling.deleted, [a.configDigest]);
  assert.ok(dangling.reclaimedBytes > 0);
  inUse.add(c.configDigest);
  const all = await images.prune({ all: true });
  assert.deepEqual(all.deleted, [b.configDigest]);
  assert.deepEqual(
    (await images.list()).map((i) => i.id),
    [c.configDigest],
  );
  const imageC = await images.inspect('example/c:1');
  assert.equal(await content.has(imageC.manifest.layers[0]!.digest), true);
});

test('import of a directory keeps hard links, symlinks and modes', async (t) => {
  const { images, root } = setup(t);
  const dir = join(root, 'rootfs');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  linkSync(join(dir, 'bin', 'tool'), join(dir, 'bin', 'tool2'));
  symlinkSync('tool', join(dir, 'bin', 'alias'));
  const image = await images.importDirectory(dir, 'example/dir:1', {
    changes: ['CMD ["/bin/tool"]', 'ENV A=1'],
  });
  assert.deepEqual(image.config.config?.Cmd, ['/bin/tool']);
  assert.deepEqual(image.config.config?.Env, ['A=1']);
  const [layer] = images.layerSources(image);
  const plain = gunzipSync(await buffer(layer!.open()));
  assert.equal(sha256(plain), layer!.diffId);
  const entries = await tarEntries(plain);
  assert.deepEqual([...entries.keys()], ['bin', 'bin/alias', 'bin/tool', 'bin/tool2']);
  assert.deepEqual(entries.get('bin/tool2'), { type: 'link', linkname: 'bin/tool', body: Buffer.alloc(0) });
  assert.equal(entries.get('bin/alias')?.type, 'symlink');
  assert.equal(entries.get('bin/alias')?.linkname, 'tool');
});

test('import refuses a bad reference or a non-tar source and stores no image', async (t) => {
  const { images } = setup(t);
  await assert.rejects(images.import(Readable.from([await makeTar([])]), 'Bad/Name'), (err) =>
    isMarinaError(err, 'Invalid'),
  );
  await assert.rejects(
    images.import(Readable.from([Buffer.alloc(2048, 'x')]), 'example/x:1'),
    (err) => isMarinaError(err, 'Invalid') && /not a tar/.test(err.message),
  );
  assert.deepEqual(await images.list(), []);
});

test('seeding busybox twice gives the same image ID', {
  skip: existsSync(busyboxPath) ? false : `${busyboxPath} missing: apt-get install busybox-static`,
}, async (t) => {
  const { images, content } = setup(t);
  const first = await seedBusybox(images);
  const second = await seedBusybox(images);
  assert.equal(second.id, first.id);
  assert.equal(second.manifestDigest, first.manifestDigest);
  assert.deepEqual(first.names, ['docker.io/library/busybox:latest']);
  assert.deepEqual(first.config.config?.Cmd, ['sh']);
  assert.ok(first.config.config?.Env?.some((e) => e.startsWith('PATH=')));
  assert.equal((await images.list()).length, 1);
  const entries = await tarEntries(gunzipSync(await content.read(first.manifest.layers[0]!.digest)));
  assert.equal(entries.get('bin/sh')?.linkname, '/bin/busybox');
  assert.equal(entries.get('bin/busybox')?.type, 'file');
  assert.match(entries.get('etc/passwd')!.body.toString(), /^root:x:0:0:root:\/root:\/bin\/sh$/m);
  assert.match(entries.get('etc/group')!.body.toString(), /^nogroup:x:65534:$/m);
  assert.equal(entries.get('tmp')?.type, 'directory');
  assert.ok(readdirSync(join(content.root, 'ingest')).length === 0);
});
