import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDigest, checkRepositoryName, checkTag, parseManifestReference } from './repository-names.ts';
import { registryCodeThrownBy } from './test-support.ts';

test('repository names follow the distribution grammar', () => {
  for (const ok of ['a', 'library/busybox', 'a.b/c_d/e__f/g--h', 'x0/y1/z2'])
    assert.equal(checkRepositoryName(ok), ok);
  for (const bad of ['', 'A', 'a/', '/a', 'a//b', 'a..b', 'a___b', '-a', 'a-', 'a:b', 'a/.b']) {
    assert.equal(
      registryCodeThrownBy(() => checkRepositoryName(bad)),
      'NAME_INVALID',
      bad,
    );
  }
  assert.equal(checkRepositoryName(`${'a/'.repeat(127)}a`).length, 255);
  assert.equal(
    registryCodeThrownBy(() => checkRepositoryName(`${'a/'.repeat(127)}ab`)),
    'NAME_INVALID',
  );
});

test('tags: 1 to 128 characters, not starting with . or -', () => {
  for (const ok of ['latest', 'v1.0-rc_1', '_x', 'A'.repeat(128)]) assert.equal(checkTag(ok), ok);
  for (const bad of ['', '.x', '-x', 'a/b', 'a:b', 'A'.repeat(129)])
    assert.equal(
      registryCodeThrownBy(() => checkTag(bad)),
      'TAG_INVALID',
      bad,
    );
});

test('a manifest reference is a digest when it has an algorithm, else a tag', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseManifestReference(digest), { digest });
  assert.deepEqual(parseManifestReference('v1'), { tag: 'v1' });
  assert.equal(
    registryCodeThrownBy(() => parseManifestReference(`sha512:${'a'.repeat(128)}`)),
    'DIGEST_INVALID',
  );
  assert.equal(
    registryCodeThrownBy(() => parseManifestReference('-x')),
    'TAG_INVALID',
  );
  assert.equal(
    registryCodeThrownBy(() => checkDigest(`sha256:${'A'.repeat(64)}`)),
    'DIGEST_INVALID',
  );
});
