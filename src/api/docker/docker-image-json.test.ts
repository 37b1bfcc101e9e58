import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Digest } from '../../content/content-store.ts';
import type { ImageRecord } from '../../image/image-types.ts';
import {
  dockerImageHistory,
  dockerImageInspect,
  dockerImageSummary,
  imageFilter,
  repoDigests,
} from './docker-image-json.ts';

const hex = (c: string) => c.repeat(64);
const digest = (c: string) => `sha256:${hex(c)}` as Digest;

function record(overrides: Partial<ImageRecord> = {}): ImageRecord {
  return {
    id: digest('a'),
    manifestDigest: digest('m'),
    manifest: {
      schemaVersion: 2,
      config: { mediaType: 'c', digest: digest('a'), size: 10 },
      layers: [
        { mediaType: 'l', digest: digest('1'), size: 100 },
        { mediaType: 'l', digest: digest('2'), size: 20 },
      ],
    },
    config: {
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-02T03:04:05.123456789Z',
      config: { Cmd: ['sh'], Labels: { tier: 'web' } },
      rootfs: { type: 'layers', diff_ids: [digest('d'), digest('e')] },
      history: [
        { created: '2024-01-01T00:00:00Z', created_by: 'ADD file' },
        { created: '2024-01-01T00:00:01Z', created_by: 'ENV A=1', empty_layer: true },
        { created: '2024-01-02T00:00:00Z', created_by: 'RUN x', comment: 'buildkit' },
      ],
    },
    names: ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1', '127.0.0.1:5000/a/b:v1'],
    size: 120,
    created: '2024-01-02T03:04:05Z',
    ...overrides,
  };
}

test('the summary has familiar RepoTags, one RepoDigest per repository, unix Created and -1 for uncounted', () => {
  const s = dockerImageSummary(record());
  assert.deepEqual(s.RepoTags, ['busybox:latest', 'busybox:1', '127.0.0.1:5000/a/b:v1']);
  assert.deepEqual(s.RepoDigests, [`busybox@${digest('m')}`, `127.0.0.1:5000/a/b@${digest('m')}`]);
  assert.equal(s.Created, Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
  assert.equal(s.SharedSize, -1);
  assert.equal(s.Containers, -1);
  assert.deepEqual(s.Labels, { tier: 'web' });
  assert.deepEqual(repoDigests(record({ names: [] })), []);
});

test('inspect carries the config, RootFS layers and the RFC 3339 Created of the config', () => {
  const i = dockerImageInspect(record());
  assert.equal(i.Created, '2024-01-02T03:04:05.123456789Z');
  assert.equal(i.Os, 'linux');
  assert.equal(i.Architecture, 'amd64');
  assert.deepEqual(i.RootFS, { Type: 'layers', Layers: [digest('d'), digest('e')] });
  assert.deepEqual((i.Config as { Cmd: string[] }).Cmd, ['sh']);
  assert.equal((i.Config as { Entrypoint: unknown }).Entrypoint, null);
});

test('history is newest first: the image ID and tags on top, <missing> below, layer sizes on layer entries', () => {
  const h = dockerImageHistory(record());
  assert.deepEqual(
    h.map((e) => [e.Id, e.CreatedBy, e.Size, e.Comment]),
    [
      [digest('a'), 'RUN x', 20, 'buildkit'],
      ['<missing>', 'ENV A=1', 0, ''],
      ['<missing>', 'ADD file', 100, ''],
    ],
  );
  assert.deepEqual(h[0]!.Tags, ['busybox:latest', 'busybox:1', '127.0.0.1:5000/a/b:v1']);
  assert.equal(h[1]!.Tags, null);
  const bare = dockerImageHistory(record({ config: { ...record().config, history: [] }, names: [] }));
  assert.equal(bare.length, 1);
  assert.equal(bare[0]!.Id, digest('a'));
  assert.equal(bare[0]!.Tags, null);
});

test('filters: dangling, reference globs with or without tag, label, before/since; unknown keys are refused', () => {
  const named = record();
  const dangling = record({
    id: digest('b'),
    names: [],
    created: '2023-01-01T00:00:00Z',
    config: { ...record().config, config: {} },
  });
  const keep = (filters: Record<string, string[]>, lookup: Record<string, ImageRecord> = {}) =>
    [named, dangling]
      .filter(imageFilter(new Map(Object.entries(filters)), (n) => lookup[n]))
      .map((r) => r.id);
  assert.deepEqual(keep({ dangling: ['true'] }), [dangling.id]);
  assert.deepEqual(keep({ dangling: ['false'] }), [named.id]);
  assert.deepEqual(keep({ reference: ['busy*'] }), [named.id]);
  assert.deepEqual(keep({ reference: ['busybox:1'] }), [named.id]);
  assert.deepEqual(keep({ reference: ['127.0.0.1:5000/a/*'] }), [named.id]);
  assert.deepEqual(keep({ reference: ['nothing'] }), []);
  assert.deepEqual(keep({ label: ['tier=web'] }), [named.id]);
  assert.deepEqual(keep({ label: ['tier'] }), [named.id]);
  assert.deepEqual(keep({ label: ['tier=db'] }), []);
  assert.deepEqual(keep({ before: ['x'] }, { x: named }), [dangling.id]);
  assert.deepEqual(keep({ since: ['x'] }, { x: dangling }), [named.id]);
  assert.throws(() => keep({ colour: ['red'] }), /invalid filter 'colour'/);
  assert.throws(() => keep({ dangling: ['maybe'] }), /use true or false/);
  assert.throws(() => keep({ before: ['nope'] }), /No such image: nope/);
});
