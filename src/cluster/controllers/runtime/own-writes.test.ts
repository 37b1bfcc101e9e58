import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import { OwnWrites } from './own-writes.ts';

const pod = (name: string, resourceVersion: string, deleting = false): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', resourceVersion, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});

const names = (objects: KubeObject[]) => objects.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();

test('a created object shows in the view until the cache has it (at least as new), then the cache speaks', () => {
  const writes = new OwnWrites();
  writes.created('rs', pod('a', '5'));
  assert.deepEqual(names(writes.view('rs', [])), ['a@5']);
  assert.deepEqual(names(writes.view('other', [])), [], 'groups are apart');
  assert.deepEqual(names(writes.view('rs', [pod('a', '4')])), ['a@5'], 'an older cache is overlaid');
  assert.deepEqual(names(writes.view('rs', [pod('a', '7')])), ['a@7']);
  assert.deepEqual(names(writes.view('rs', [])), [], 'caught up: forgotten, the cache is the truth again');
});

test('a deleted object is hidden until the cache drops it; one still there (graceful) shows as marked', () => {
  const writes = new OwnWrites();
  writes.deleted('rs', pod('gone', '5'), false);
  writes.deleted('rs', pod('grace', '6', true), true);
  const view = writes.view('rs', [pod('gone', '5'), pod('grace', '5'), pod('other', '1')]);
  assert.deepEqual(names(view), ['grace@6', 'other@1']);
  assert.ok(view.find((o) => o.metadata.name === 'grace')?.metadata.deletionTimestamp);
  assert.deepEqual(names(writes.view('rs', [pod('grace', '6', true), pod('other', '1')])), ['grace@6', 'other@1']);
});

test('writes lapse after forgetAfterMs, and forget drops a group at once', () => {
  let clock = 0;
  const writes = new OwnWrites({ forgetAfterMs: 1000, now: () => clock });
  writes.created('rs', pod('a', '5'));
  clock = 1000;
  assert.deepEqual(names(writes.view('rs', [])), ['a@5']);
  clock = 1001;
  assert.deepEqual(names(writes.view('rs', [])), []);
  writes.created('rs', pod('b', '6'));
  writes.forget('rs');
  assert.deepEqual(names(writes.view('rs', [])), []);
});
