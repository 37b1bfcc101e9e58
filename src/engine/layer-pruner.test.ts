import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Digest } from '../content/content-store.ts';
import type { ImageRecord } from '../image/image-types.ts';
import { LayerPruner, layersOfImages } from './layer-pruner.ts';

const image = (...diffIds: string[]) => ({ config: { rootfs: { type: 'layers', diff_ids: diffIds } } }) as unknown as ImageRecord;
const quiet = { info() {}, warn() {} };

test('the layers to keep are every layer of every image, shared ones once', () => {
  assert.deepEqual([...layersOfImages([image('sha256:a', 'sha256:b'), image('sha256:b', 'sha256:c')])].sort(), [
    'sha256:a',
    'sha256:b',
    'sha256:c',
  ]);
});

test('requests made while a prune runs share one more run, which sees the images as they are then', async () => {
  let images = [image('sha256:a', 'sha256:b')];
  const keeps: Digest[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const pruner = new LayerPruner({
    images: { list: async () => images },
    snapshotter: {
      async pruneLayers(keep) {
        keeps.push([...keep].sort());
        if (keeps.length === 1) await gate;
        return [];
      },
    },
    logger: quiet,
  });
  const first = pruner.request();
  await new Promise((resolve) => setImmediate(resolve));
  images = [image('sha256:a')];
  const second = pruner.request();
  const third = pruner.request();
  assert.equal(second, third);
  release();
  await Promise.all([first, second, third]);
  assert.deepEqual(keeps, [['sha256:a', 'sha256:b'], ['sha256:a']]);
});

test('a failed prune is logged, never thrown, and the next request runs again', async () => {
  const warnings: unknown[] = [];
  let calls = 0;
  const pruner = new LayerPruner({
    images: { list: async () => [] },
    snapshotter: {
      async pruneLayers() {
        calls++;
        if (calls === 1) throw new Error('disk on fire');
        return ['sha256:x' as Digest];
      },
    },
    logger: { info() {}, warn: (...args: unknown[]) => warnings.push(args) },
  });
  await pruner.request();
  await pruner.request();
  assert.equal(calls, 2);
  assert.equal(warnings.length, 1);
});
