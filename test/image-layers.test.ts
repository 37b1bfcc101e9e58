/**
 * Unpacked layers go with the last image that uses them (as root, a real marinad): a layer unpacked for
 * a run stays while its image exists, and once the image is removed no unpacked layer is left (at the
 * latest when marinad starts again: a layer made ready minutes ago is spared, a caller may be about to
 * stack a snapshot on it). The image works again when it comes back.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, useDaemon } from './harness.ts';

const d = useDaemon();

const unpackedLayers = () => {
  try {
    return readdirSync(join(d.root, 'snapshots', 'layers')).filter((name) => /^[0-9a-f]{64}$/.test(name));
  } catch {
    return [];
  }
};

test('removing the last image of a layer removes its unpacked copy; the image unpacks again when back', async () => {
  await d.ok(['run', '--rm', 'busybox', 'true']);
  assert.ok(unpackedLayers().length > 0, 'the run unpacked its layers');
  await d.ok(['rmi', 'busybox']);
  await d.stop();
  await d.start();
  await eventually(() => unpackedLayers().length === 0, 10_000, 'no unpacked layer left');
  await d.ok(['image', 'seed', 'busybox']);
  assert.equal(await d.ok(['run', '--rm', 'busybox', 'echo', 'back']), 'back\n');
  assert.ok(unpackedLayers().length > 0);
});
