import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GcCollector } from './content-collector-impl.ts';
import type { Digest } from './content-store.ts';
import { FileContentStore } from './file-content-store.ts';

test('collect keeps what any owner lists and what a running lease writes, and deletes the rest', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-gc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const content = new FileContentStore(dir);
  await content.cleanupIngest();
  const collector = new GcCollector(content);
  const images = await content.write('image layer');
  const registry = await content.write('registry layer');
  const garbage = await content.write('nobody');
  collector.addRoots('images', () => [images.digest]);
  collector.addRoots('registry', async function* () {
    yield registry.digest;
  });

  let inLease: Digest | undefined;
  let releaseLease!: () => void;
  const released = new Promise<void>((resolve) => (releaseLease = resolve));
  let written!: () => void;
  const wasWritten = new Promise<void>((resolve) => (written = resolve));
  const leaseDone = collector.lease(async () => {
    inLease = (await content.write('being pulled')).digest;
    written();
    await released;
  });
  await wasWritten;
  const collecting = collector.collect();
  // The collection waits for the lease; record the pulled blob as an image before releasing it.
  collector.addRoots('images', () => [images.digest, inLease!]);
  releaseLease();
  await leaseDone;
  const result = await collecting;

  assert.deepEqual(result.removed, [garbage.digest]);
  assert.equal(result.reclaimedBytes, garbage.size);
  assert.equal(await content.has(images.digest), true);
  assert.equal(await content.has(registry.digest), true);
  assert.equal(await content.has(inLease!), true);
  assert.equal(await content.has(garbage.digest), false);
});
