import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaType } from '../../../image/image-types.ts';
import { acceptedTypes, acceptsManifest } from './manifest-negotiation.ts';

test('Accept lists are split, lowercased and stripped of parameters', () => {
  assert.deepEqual(acceptedTypes('Application/Vnd.OCI.image.manifest.v1+json; q=0.5, */*;q=0.1'), [
    MediaType.OciManifest,
    '*/*',
  ]);
  assert.deepEqual(acceptedTypes(undefined), []);
});

test('OCI types are served only when accepted, or with no Accept or a wildcard', () => {
  assert.equal(
    acceptsManifest(`${MediaType.DockerManifest}, ${MediaType.DockerManifestList}`, MediaType.OciManifest),
    false,
  );
  assert.equal(acceptsManifest(MediaType.DockerManifest, MediaType.OciIndex), false);
  assert.equal(
    acceptsManifest(`${MediaType.DockerManifest}, ${MediaType.OciManifest}`, MediaType.OciManifest),
    true,
  );
  assert.equal(acceptsManifest(undefined, MediaType.OciIndex), true);
  assert.equal(acceptsManifest('*/*', MediaType.OciIndex), true);
  assert.equal(acceptsManifest('application/*', MediaType.OciManifest), true);
});

test('Docker schema 2 types are served whatever the Accept', () => {
  assert.equal(acceptsManifest(MediaType.OciManifest, MediaType.DockerManifest), true);
  assert.equal(acceptsManifest('application/json', MediaType.DockerManifestList), true);
});
