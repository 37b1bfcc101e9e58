import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import type { Descriptor, Platform } from './image-types.ts';
import { formatPlatform, hostPlatform, parsePlatform, selectPlatformManifest } from './platform.ts';

const entry = (n: number, platform?: Platform): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 100,
  ...(platform ? { platform } : {}),
});

const index = [
  entry(1, { os: 'linux', architecture: 'amd64' }),
  entry(2, { os: 'linux', architecture: 'arm', variant: 'v6' }),
  entry(3, { os: 'linux', architecture: 'arm', variant: 'v7' }),
  entry(4, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
  entry(5, { os: 'unknown', architecture: 'unknown' }),
  entry(6),
];

test('host platform maps node arch names to OCI ones', () => {
  assert.deepEqual(hostPlatform('x64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(hostPlatform('arm64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(hostPlatform('ia32'), { os: 'linux', architecture: '386' });
});

test('parses and formats os/arch[/variant]', () => {
  assert.deepEqual(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(formatPlatform(parsePlatform('linux/amd64')), 'linux/amd64');
  for (const bad of ['linux', 'linux/', 'a/b/c/d', 'Linux/AMD64']) {
    assert.throws(() => parsePlatform(bad), (err) => isMarinaError(err, 'Invalid'), bad);
  }
});

test('picks by os, architecture and variant', () => {
  assert.equal(selectPlatformManifest(index, { os: 'linux', architecture: 'amd64' }, 'x').digest, index[0]?.digest);
  assert.equal(
    selectPlatformManifest(index, { os: 'linux', architecture: 'arm', variant: 'v7' }, 'x').digest,
    index[2]?.digest,
  );
  // No variant asked: the first arm entry.
  assert.equal(selectPlatformManifest(index, { os: 'linux', architecture: 'arm' }, 'x').digest, index[1]?.digest);
});

test('arm64 matches entries with variant v8 or none, both ways', () => {
  assert.equal(selectPlatformManifest(index, hostPlatform('arm64'), 'x').digest, index[3]?.digest);
  const plain = [entry(7, { os: 'linux', architecture: 'arm64' })];
  assert.equal(
    selectPlatformManifest(plain, { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'x').digest,
    plain[0]?.digest,
  );
});

test('no match lists what the index offers', () => {
  assert.throws(
    () => selectPlatformManifest(index, { os: 'linux', architecture: 'riscv64' }, 'busybox:1'),
    (err) =>
      isMarinaError(err, 'Invalid') &&
      err.message.includes('busybox:1') &&
      err.message.includes('linux/riscv64') &&
      err.message.includes('linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8') &&
      !err.message.includes('unknown'),
  );
});
