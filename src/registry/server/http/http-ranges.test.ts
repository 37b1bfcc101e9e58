import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentRange, parseChunkRange, parseRangeRequest, uploadRange } from './http-ranges.ts';

test('blob Range: first-last, open-ended, suffix, clipped to the blob', () => {
  assert.deepEqual(parseRangeRequest('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRangeRequest('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRangeRequest('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRangeRequest('bytes=-500', 100), { start: 0, end: 99 });
  assert.deepEqual(parseRangeRequest('bytes=50-500', 100), { start: 50, end: 99 });
});

test('blob Range: absent, malformed or multiple ranges mean the whole blob', () => {
  assert.equal(parseRangeRequest(undefined, 100), undefined);
  assert.equal(parseRangeRequest('items=0-9', 100), undefined);
  assert.equal(parseRangeRequest('bytes=0-9,20-29', 100), undefined);
  assert.equal(parseRangeRequest('bytes=9-0', 100), undefined);
  assert.equal(parseRangeRequest('bytes=-', 100), undefined);
});

test('blob Range past the end is unsatisfiable', () => {
  assert.equal(parseRangeRequest('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRangeRequest('bytes=-0', 100), 'unsatisfiable');
  assert.equal(parseRangeRequest('bytes=0-0', 0), 'unsatisfiable');
});

test('chunk Content-Range: the spec form, the bytes form, none', () => {
  assert.deepEqual(parseChunkRange('0-1023'), { start: 0, end: 1023 });
  assert.deepEqual(parseChunkRange('bytes 1024-2047/*'), { start: 1024, end: 2047 });
  assert.deepEqual(parseChunkRange('bytes 1024-2047/4096'), { start: 1024, end: 2047 });
  assert.equal(parseChunkRange(undefined), undefined);
  assert.equal(parseChunkRange(''), undefined);
});

test('a malformed or backwards chunk range is RANGE_INVALID', () => {
  for (const bad of ['abc', '10-', '-5', '10-5']) {
    assert.throws(
      () => parseChunkRange(bad),
      (err: { details?: { registryCode?: string } }) => err.details?.registryCode === 'RANGE_INVALID',
      bad,
    );
  }
});

test('upload progress and response ranges', () => {
  assert.equal(uploadRange(0), '0-0');
  assert.equal(uploadRange(1), '0-0');
  assert.equal(uploadRange(1024), '0-1023');
  assert.equal(contentRange({ start: 5, end: 9 }, 10), 'bytes 5-9/10');
});
