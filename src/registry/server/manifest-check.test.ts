import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256Digest } from '../../content/digest.ts';
import { MediaType } from '../../image/image-types.ts';
import { baseMediaType, checkManifest, maxManifestBytes } from './manifest-check.ts';
import { registryCodeThrownBy } from './test-support.ts';

const d = (s: string) => sha256Digest(s);
const desc = (mediaType: string, s: string) => ({ mediaType, digest: d(s), size: s.length });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

const image = {
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: desc(MediaType.OciConfig, 'config'),
  layers: [desc(MediaType.OciLayerGzip, 'layer')],
};

test('an image manifest names its config and layers; artifactType falls back to the config type', () => {
  const checked = checkManifest(MediaType.OciManifest, json(image));
  assert.equal(checked.mediaType, MediaType.OciManifest);
  assert.deepEqual(
    checked.blobs.map((b) => b.digest),
    [d('config'), d('layer')],
  );
  assert.deepEqual(checked.manifests, []);
  assert.equal(checked.artifactType, MediaType.OciConfig);
  assert.equal(checked.subject, undefined);
});

test('an artifact with a subject reports artifactType, subject and annotations', () => {
  const checked = checkManifest(
    `${MediaType.OciManifest}; charset=utf-8`,
    json({
      ...image,
      artifactType: 'application/x.sig',
      subject: desc(MediaType.OciManifest, 'x'),
      annotations: { a: 'b' },
    }),
  );
  assert.equal(checked.artifactType, 'application/x.sig');
  assert.equal(checked.subject, d('x'));
  assert.deepEqual(checked.annotations, { a: 'b' });
});

test('an index names manifests, not blobs; a Docker list without body mediaType uses the Content-Type', () => {
  const index = { schemaVersion: 2, manifests: [desc(MediaType.DockerManifest, 'child')] };
  const checked = checkManifest(MediaType.DockerManifestList, json(index));
  assert.equal(checked.mediaType, MediaType.DockerManifestList);
  assert.deepEqual(
    checked.manifests.map((m) => m.digest),
    [d('child')],
  );
  assert.deepEqual(checked.blobs, []);
  assert.equal(checked.artifactType, undefined);
});

test('invalid manifests are refused with the spec codes', () => {
  assert.equal(
    registryCodeThrownBy(() => checkManifest(MediaType.OciManifest, Buffer.from('{'))),
    'MANIFEST_INVALID',
  );
  assert.equal(
    registryCodeThrownBy(() => checkManifest(MediaType.OciManifest, Buffer.from('[]'))),
    'MANIFEST_INVALID',
  );
  assert.equal(
    registryCodeThrownBy(() => checkManifest(MediaType.OciManifest, json({ ...image, schemaVersion: 1 }))),
    'MANIFEST_INVALID',
  );
  assert.equal(
    registryCodeThrownBy(() =>
      checkManifest(
        MediaType.OciManifest,
        json({ ...image, layers: [{ mediaType: 'x', digest: 'sha256:zz', size: 1 }] }),
      ),
    ),
    'MANIFEST_INVALID',
  );
  assert.equal(
    registryCodeThrownBy(() => checkManifest(MediaType.OciIndex, json(image))),
    'MANIFEST_INVALID',
    'Content-Type contradicts body',
  );
  assert.equal(
    registryCodeThrownBy(() => checkManifest('application/json', json({ ...image, mediaType: undefined }))),
    'MANIFEST_INVALID',
  );
  assert.equal(
    registryCodeThrownBy(() =>
      checkManifest(MediaType.OciManifest, json({ ...image, subject: { digest: 'nope' } })),
    ),
    'MANIFEST_INVALID',
  );
  const big = Buffer.alloc(maxManifestBytes + 1, 0x20);
  assert.equal(
    registryCodeThrownBy(() => checkManifest(MediaType.OciManifest, big)),
    'MANIFEST_TOO_LARGE',
  );
});

test('baseMediaType drops parameters and case', () => {
  assert.equal(baseMediaType('Application/JSON ; charset=utf-8'), 'application/json');
});
