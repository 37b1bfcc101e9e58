import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { type TestContext, test } from 'node:test';
import pino from 'pino';
import { GcCollector } from '../../content/content-collector-impl.ts';
import type { Digest } from '../../content/content-store.ts';
import { sha256Digest } from '../../content/digest.ts';
import { FileContentStore } from '../../content/file-content-store.ts';
import { StateDb } from '../../db/state-db.ts';
import { MediaType } from '../../image/image-types.ts';
import { registryCodeOf } from '../registry-errors.ts';
import { DistributionService } from './distribution-service.ts';

async function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'marina-distribution-'));
  const db = new StateDb(join(dir, 'state.db'));
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const content = new FileContentStore(dir);
  await content.cleanupIngest();
  const collector = new GcCollector(content);
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const registry = new DistributionService({
    db,
    content,
    collector,
    logger: pino({ level: 'silent' }),
    now: () => clock,
  });
  return {
    registry,
    content,
    collector,
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
  };
}

type Registry = DistributionService;

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    return registryCodeOf(err) ?? String(err);
  }
  return undefined;
}

async function pushBlob(registry: Registry, repo: string, data: string) {
  const upload = await registry.startUpload(repo);
  return registry.completeUpload(repo, upload.uuid, sha256Digest(data), Readable.from([Buffer.from(data)]));
}

const descriptor = (mediaType: string, data: string | Buffer) => ({
  mediaType,
  digest: sha256Digest(data),
  size: Buffer.byteLength(data),
});

/** Pushes a config and one layer, then an image manifest naming them; returns the manifest bytes. */
async function pushImage(
  registry: Registry,
  repo: string,
  reference: string,
  seed: string,
  extra: object = {},
) {
  await pushBlob(registry, repo, `config ${seed}`);
  await pushBlob(registry, repo, `layer ${seed}`);
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: descriptor(MediaType.OciConfig, `config ${seed}`),
      layers: [descriptor(MediaType.OciLayerGzip, `layer ${seed}`)],
      ...extra,
    }),
  );
  const result = await registry.putManifest(repo, reference, MediaType.OciManifest, body);
  return { body, ...result };
}

test('monolithic upload: the blob is linked to its repository only', async (t) => {
  const { registry } = await setup(t);
  const blob = await pushBlob(registry, 'a/b', 'hello');
  assert.deepEqual(blob, { digest: sha256Digest('hello'), size: 5 });
  assert.deepEqual(await registry.statBlob('a/b', blob.digest), blob);
  assert.equal(await text(registry.openBlob('a/b', blob.digest)), 'hello');
  assert.equal(await text(registry.openBlob('a/b', blob.digest, { start: 1, end: 3 })), 'ell');
  assert.equal(await codeOf(registry.statBlob('other', blob.digest)), 'BLOB_UNKNOWN');
  assert.equal(await codeOf(() => registry.openBlob('other', blob.digest)), 'BLOB_UNKNOWN');
  assert.equal(await codeOf(registry.statBlob('a/b', 'sha256:nope')), 'DIGEST_INVALID');
  assert.equal(await codeOf(registry.startUpload('Bad')), 'NAME_INVALID');
});

test('chunked upload: offsets, RANGE_INVALID, status, and the upload is gone once complete', async (t) => {
  const { registry } = await setup(t);
  const upload = await registry.startUpload('repo');
  assert.equal(upload.offset, 0);
  assert.equal(
    (await registry.appendUpload('repo', upload.uuid, Readable.from([Buffer.from('abc')]), 0)).offset,
    3,
  );
  assert.equal(
    await codeOf(registry.appendUpload('repo', upload.uuid, Readable.from([Buffer.from('zzz')]), 1)),
    'RANGE_INVALID',
  );
  assert.equal((await registry.uploadStatus('repo', upload.uuid)).offset, 3, 'a refused chunk adds nothing');
  assert.equal(
    (await registry.appendUpload('repo', upload.uuid, Readable.from([Buffer.from('def')]))).offset,
    6,
  );
  assert.equal(await codeOf(registry.uploadStatus('other', upload.uuid)), 'BLOB_UPLOAD_UNKNOWN');
  const blob = await registry.completeUpload(
    'repo',
    upload.uuid,
    sha256Digest('abcdefgh'),
    Readable.from([Buffer.from('gh')]),
  );
  assert.equal(blob.size, 8);
  assert.equal(await text(registry.openBlob('repo', blob.digest)), 'abcdefgh');
  assert.equal(await codeOf(registry.uploadStatus('repo', upload.uuid)), 'BLOB_UPLOAD_UNKNOWN');
  assert.equal(await codeOf(registry.uploadStatus('repo', 'no-such-uuid')), 'BLOB_UPLOAD_UNKNOWN');
});

test('a wrong digest stores nothing and ends the upload; cancel ends it too', async (t) => {
  const { registry, content } = await setup(t);
  const upload = await registry.startUpload('repo');
  await registry.appendUpload('repo', upload.uuid, Readable.from([Buffer.from('data')]));
  const claimed = sha256Digest('other data');
  assert.equal(await codeOf(registry.completeUpload('repo', upload.uuid, claimed)), 'DIGEST_INVALID');
  assert.equal(await content.has(sha256Digest('data')), false);
  assert.equal(await content.has(claimed), false);
  assert.equal(await codeOf(registry.statBlob('repo', sha256Digest('data'))), 'BLOB_UNKNOWN');
  assert.equal(await codeOf(registry.uploadStatus('repo', upload.uuid)), 'BLOB_UPLOAD_UNKNOWN');

  const cancelled = await registry.startUpload('repo');
  await registry.appendUpload('repo', cancelled.uuid, Readable.from([Buffer.from('x')]));
  await registry.cancelUpload('repo', cancelled.uuid);
  assert.equal(await content.ingestStatus(`upload-${cancelled.uuid}`), undefined);
  assert.equal(await codeOf(registry.cancelUpload('repo', cancelled.uuid)), 'BLOB_UPLOAD_UNKNOWN');
});

test('two concurrent uploads of the same blob both succeed and store it once', async (t) => {
  const { registry, content } = await setup(t);
  const data = 'same bytes '.repeat(10_000);
  const [one, two] = await Promise.all([pushBlob(registry, 'r1', data), pushBlob(registry, 'r2', data)]);
  assert.deepEqual(one, two);
  const stored: Digest[] = [];
  for await (const blob of content.list()) stored.push(blob.digest);
  assert.deepEqual(stored, [one.digest]);
  assert.equal(await text(registry.openBlob('r2', one.digest)), data);
});

test('mount links a blob of another repository, only when that repository has it', async (t) => {
  const { registry } = await setup(t);
  const blob = await pushBlob(registry, 'src', 'shared');
  assert.equal(await registry.mountBlob('dst', 'elsewhere', blob.digest), undefined);
  assert.equal(await codeOf(registry.statBlob('dst', blob.digest)), 'BLOB_UNKNOWN');
  assert.deepEqual(await registry.mountBlob('dst', 'src', blob.digest), blob);
  assert.deepEqual(await registry.statBlob('dst', blob.digest), blob);
});

test('manifests: stored as pushed, by tag and digest, visible as blobs; bad ones refused', async (t) => {
  const { registry } = await setup(t);
  const { body, digest, subject } = await pushImage(registry, 'app', 'v1', 'one');
  assert.equal(digest, sha256Digest(body));
  assert.equal(subject, undefined);
  for (const reference of ['v1', digest]) {
    const got = await registry.getManifest('app', reference);
    assert.deepEqual(got, { digest, mediaType: MediaType.OciManifest, body });
  }
  assert.equal((await registry.statBlob('app', digest)).size, body.length);
  assert.equal(await codeOf(registry.getManifest('app', 'v2')), 'MANIFEST_UNKNOWN');
  assert.equal(await codeOf(registry.getManifest('other', digest)), 'MANIFEST_UNKNOWN');

  const missingLayer = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: descriptor(MediaType.OciConfig, 'config one'),
      layers: [descriptor(MediaType.OciLayerGzip, 'never pushed')],
    }),
  );
  assert.equal(
    await codeOf(registry.putManifest('app', 'v2', MediaType.OciManifest, missingLayer)),
    'MANIFEST_BLOB_UNKNOWN',
  );
  assert.equal(
    await codeOf(registry.putManifest('app', sha256Digest('x'), MediaType.OciManifest, body)),
    'DIGEST_INVALID',
  );
  assert.equal(await codeOf(registry.putManifest('app', 'v2', MediaType.OciIndex, body)), 'MANIFEST_INVALID');
  assert.equal(await codeOf(registry.putManifest('app', '.bad', MediaType.OciManifest, body)), 'TAG_INVALID');
  assert.equal(await codeOf(registry.getManifest('app', 'v2')), 'MANIFEST_UNKNOWN', 'nothing was tagged');
  // Blobs of another repository do not count.
  assert.equal(
    await codeOf(registry.putManifest('elsewhere', 'v1', MediaType.OciManifest, body)),
    'MANIFEST_BLOB_UNKNOWN',
  );
  // By digest, no tag.
  assert.equal((await registry.putManifest('app', digest, MediaType.OciManifest, body)).digest, digest);
});

test('an index needs its manifests in the repository', async (t) => {
  const { registry } = await setup(t);
  const child = await pushImage(registry, 'multi', 'amd64', 'amd64');
  const index = (manifests: object[]) =>
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
  const childDescriptor = {
    ...descriptor(MediaType.OciManifest, child.body),
    platform: { os: 'linux', architecture: 'amd64' },
  };
  const missing = descriptor(MediaType.OciManifest, 'not there');
  assert.equal(
    await codeOf(
      registry.putManifest('multi', 'latest', MediaType.OciIndex, index([childDescriptor, missing])),
    ),
    'MANIFEST_BLOB_UNKNOWN',
  );
  const { digest } = await registry.putManifest(
    'multi',
    'latest',
    MediaType.OciIndex,
    index([childDescriptor]),
  );
  assert.equal((await registry.getManifest('multi', 'latest')).digest, digest);
});

test('tags and catalog are lexical and paginated with n and last', async (t) => {
  const { registry } = await setup(t);
  const { digest } = await pushImage(registry, 'repo', 'b', 'x');
  for (const tag of ['a', 'c', 'B', 'd'])
    await registry.putManifest(
      'repo',
      tag,
      MediaType.OciManifest,
      (await registry.getManifest('repo', digest)).body,
    );
  assert.deepEqual(await registry.listTags('repo', {}), { items: ['B', 'a', 'b', 'c', 'd'] });
  assert.deepEqual(await registry.listTags('repo', { n: 2 }), { items: ['B', 'a'], next: 'a' });
  assert.deepEqual(await registry.listTags('repo', { n: 2, last: 'a' }), { items: ['b', 'c'], next: 'c' });
  assert.deepEqual(await registry.listTags('repo', { n: 2, last: 'c' }), { items: ['d'] });
  assert.deepEqual(await registry.listTags('repo', { n: 0 }), { items: [] });
  assert.equal(await codeOf(registry.listTags('nothing', {})), 'NAME_UNKNOWN');

  await pushBlob(registry, 'blobs/only', 'z');
  await pushBlob(registry, 'alpha', 'z');
  assert.deepEqual(await registry.catalog({}), { items: ['alpha', 'blobs/only', 'repo'] });
  assert.deepEqual(await registry.catalog({ n: 1, last: 'alpha' }), {
    items: ['blobs/only'],
    next: 'blobs/only',
  });
});

test('referrers list manifests whose subject is the digest, filtered by artifactType', async (t) => {
  const { registry } = await setup(t);
  const target = await pushImage(registry, 'app', 'v1', 'target');
  const subject = descriptor(MediaType.OciManifest, target.body);
  const signature = await pushReferrer(registry, subject, 'sig', {
    artifactType: 'application/vnd.example.sig',
    annotations: { k: 'v' },
  });
  const sbom = await pushReferrer(registry, subject, 'sbom', {});
  assert.equal(signature.subject, target.digest);

  const all = await registry.referrers('app', target.digest);
  assert.equal(all.mediaType, MediaType.OciIndex);
  assert.deepEqual(
    all.manifests.map((m) => [m.digest, m.artifactType]).sort(),
    [
      [signature.digest, 'application/vnd.example.sig'],
      [sbom.digest, MediaType.OciConfig],
    ].sort(),
  );
  const sigs = await registry.referrers('app', target.digest, 'application/vnd.example.sig');
  assert.deepEqual(sigs.manifests, [
    {
      mediaType: MediaType.OciManifest,
      digest: signature.digest,
      size: signature.body.length,
      artifactType: 'application/vnd.example.sig',
      annotations: { k: 'v' },
    },
  ]);
  assert.deepEqual((await registry.referrers('app', sha256Digest('nothing'))).manifests, []);
});

async function pushReferrer(registry: Registry, subject: object, seed: string, extra: object) {
  const result = await pushImage(registry, 'app', 'tmp', seed, { subject, ...extra });
  await registry.deleteManifest('app', 'tmp');
  return result;
}

test('delete: a tag removes the tag only; a digest removes the manifest and its tags; blobs unlink', async (t) => {
  const { registry } = await setup(t);
  const { digest } = await pushImage(registry, 'app', 'v1', 'one');
  await registry.putManifest(
    'app',
    'v2',
    MediaType.OciManifest,
    (await registry.getManifest('app', digest)).body,
  );
  await registry.deleteManifest('app', 'v1');
  assert.equal(await codeOf(registry.getManifest('app', 'v1')), 'MANIFEST_UNKNOWN');
  assert.equal((await registry.getManifest('app', 'v2')).digest, digest);
  assert.equal(await codeOf(registry.deleteManifest('app', 'v1')), 'MANIFEST_UNKNOWN');
  await registry.deleteManifest('app', digest);
  assert.equal(await codeOf(registry.getManifest('app', 'v2')), 'MANIFEST_UNKNOWN');
  assert.equal(await codeOf(registry.getManifest('app', digest)), 'MANIFEST_UNKNOWN');
  assert.deepEqual(await registry.listTags('app', {}), { items: [] });
  assert.equal(await codeOf(registry.deleteManifest('app', digest)), 'MANIFEST_UNKNOWN');

  const layer = sha256Digest('layer one');
  await registry.deleteBlob('app', layer);
  assert.equal(await codeOf(registry.statBlob('app', layer)), 'BLOB_UNKNOWN');
  assert.equal(await codeOf(registry.deleteBlob('app', layer)), 'BLOB_UNKNOWN');
});

test('gc removes only what nothing references, honours minAge, untagged and dryRun', async (t) => {
  const { registry, content, advance } = await setup(t);
  const kept = await pushImage(registry, 'app', 'v1', 'kept');
  const untagged = await pushImage(registry, 'app', 'gone', 'untagged');
  await registry.deleteManifest('app', 'gone');
  const referrer = await pushImage(registry, 'app', 'tmp', 'sig', {
    subject: descriptor(MediaType.OciManifest, kept.body),
  });
  await registry.deleteManifest('app', 'tmp');
  const orphan = await pushBlob(registry, 'app', 'orphan blob');
  const stale = await registry.startUpload('app');
  await registry.appendUpload('app', stale.uuid, Readable.from([Buffer.from('partial')]));

  // Young links survive whatever happens.
  const young = await registry.collectGarbage({ minAgeSeconds: 3600 });
  assert.deepEqual(young, { blobLinksRemoved: 0, manifestsRemoved: 0, blobsRemoved: 0, reclaimedBytes: 0 });

  advance(7200);
  const dry = await registry.collectGarbage({ minAgeSeconds: 3600, untagged: true, dryRun: true });
  assert.equal(dry.manifestsRemoved, 1);
  assert.equal(dry.blobLinksRemoved, 3, 'orphan + config and layer of the untagged image');
  assert.equal(dry.blobsRemoved, 4, 'those three blobs and the untagged manifest');
  assert.equal(
    (await registry.getManifest('app', untagged.digest)).digest,
    untagged.digest,
    'dry run deletes nothing',
  );
  assert.equal(await content.has(orphan.digest), true);

  const withoutUntagged = await registry.collectGarbage({ minAgeSeconds: 3600 });
  assert.deepEqual(withoutUntagged, {
    blobLinksRemoved: 1,
    manifestsRemoved: 0,
    blobsRemoved: 1,
    reclaimedBytes: orphan.size,
  });
  assert.equal(await content.has(orphan.digest), false);

  advance(25 * 3600);
  const full = await registry.collectGarbage({ minAgeSeconds: 3600, untagged: true });
  assert.equal(full.manifestsRemoved, 1);
  assert.equal(full.blobLinksRemoved, 2);
  assert.equal(full.blobsRemoved, 3);
  assert.equal(await codeOf(registry.getManifest('app', untagged.digest)), 'MANIFEST_UNKNOWN');
  assert.equal(await content.has(sha256Digest('layer untagged')), false);
  assert.equal(
    await codeOf(registry.uploadStatus('app', stale.uuid)),
    'BLOB_UPLOAD_UNKNOWN',
    'stale upload removed',
  );
  assert.equal(await content.ingestStatus(`upload-${stale.uuid}`), undefined);

  // What is tagged, and the referrer of what is tagged, stay whole.
  for (const digest of [kept.digest, referrer.digest]) {
    const manifest = await registry.getManifest('app', digest);
    assert.equal(manifest.digest, digest);
  }
  for (const data of ['config kept', 'layer kept', 'config sig', 'layer sig']) {
    assert.equal(await text(registry.openBlob('app', sha256Digest(data))), data);
  }
});

test('an upload survives a restart (new service, store and database handle over the same root)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-distribution-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const open = async () => {
    const db = new StateDb(join(dir, 'state.db'));
    const content = new FileContentStore(dir);
    await content.cleanupIngest();
    const registry = new DistributionService({
      db,
      content,
      collector: new GcCollector(content),
      logger: pino({ level: 'silent' }),
    });
    return { db, registry };
  };
  const first = await open();
  const upload = await first.registry.startUpload('repo');
  await first.registry.appendUpload('repo', upload.uuid, Readable.from([Buffer.from('before ')]));
  first.db.close();

  const second = await open();
  t.after(() => second.db.close());
  assert.equal((await second.registry.uploadStatus('repo', upload.uuid)).offset, 7);
  await second.registry.appendUpload('repo', upload.uuid, Readable.from([Buffer.from('after')]), 7);
  const blob = await second.registry.completeUpload('repo', upload.uuid, sha256Digest('before after'));
  assert.equal(await text(second.registry.openBlob('repo', blob.digest)), 'before after');
});
