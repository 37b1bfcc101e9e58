import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { invalid, notFound } from '../errors.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import type { VolumeRecord } from '../volume/volume-service.ts';
import { diskUsageService } from './disk-usage.ts';

test('container bytes come from the snapshot; volume bytes from a walk of its data; gone ones are 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-disk-usage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'v1/_data/sub'), { recursive: true });
  writeFileSync(join(dir, 'v1/_data/sub/file'), Buffer.alloc(3000));
  const snapshotter = {
    usage: async (key: string) => {
      if (key === 'bad') throw invalid('bad key');
      if (key !== 'c1') throw notFound(`snapshot ${key} does not exist`);
      return 1234;
    },
  } as Snapshotter;
  const volumes = {
    inspect: async (name: string): Promise<VolumeRecord> => {
      if (name !== 'v1') throw notFound(`No such volume: ${name}`);
      return { name, driver: 'local', mountpoint: join(dir, 'v1/_data'), createdAt: '', labels: {}, anonymous: false };
    },
  };
  const usage = diskUsageService({ snapshotter, volumes });
  assert.equal(await usage.containerBytes('c1'), 1234);
  assert.equal(await usage.containerBytes('gone'), 0);
  await assert.rejects(usage.containerBytes('bad'), { code: 'Invalid' });
  assert.equal(await usage.volumeBytes('v1'), 3000);
  assert.equal(await usage.volumeBytes('gone'), 0);
});
