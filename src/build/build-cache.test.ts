import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ContentCollector } from '../content/content-collector.ts';
import type { ContentStore, Digest } from '../content/content-store.ts';
import { StateDb } from '../db/state-db.ts';
import { BuildCache } from './build-cache.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}` as Digest;

test('usage lists every entry with its size; shared only while an existing image uses it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'marina-build-cache-'));
  const db = new StateDb(join(root, 'state.db'));
  t.after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });
  const images = new Set([digest('1')]);
  const cache = new BuildCache({
    db,
    content: {} as ContentStore,
    collector: { addRoots: () => {} } as unknown as ContentCollector,
    imageExists: async (id) => images.has(id),
  });
  const layer = (size: number) => ({ diffId: digest('d'), digest: digest('b'), size, mediaType: 'application/vnd.oci.image.layer.v1.tar' });
  cache.store('k-used', { layer: layer(300), created: '2025-01-01T00:00:00Z' }, 'RUN make');
  cache.store('k-gone-image', { layer: layer(20), created: '2025-01-01T00:00:00Z' }, 'COPY . /app');
  cache.store('k-orphan', { created: '2025-01-01T00:00:00Z' }, 'RUN true');
  cache.attach(['k-used'], digest('1'));
  cache.attach(['k-gone-image'], digest('2'));
  const usage = await cache.usage();
  assert.deepEqual(
    usage.map((u) => [u.key, u.size, u.shared, u.description]).sort(),
    [
      ['k-gone-image', 20, false, 'COPY . /app'],
      ['k-orphan', 0, false, 'RUN true'],
      ['k-used', 300, true, 'RUN make'],
    ],
  );
  assert.ok(usage.every((u) => u.created === '2025-01-01T00:00:00Z' && !Number.isNaN(Date.parse(u.lastUsed))));
});
