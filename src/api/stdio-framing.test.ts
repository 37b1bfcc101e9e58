import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame, FrameDecoder } from './stdio-framing.ts';

test('encodes the 8-byte header with stream id and big-endian size', () => {
  const frame = encodeFrame('stderr', Buffer.from('hi'));
  assert.deepEqual([...frame], [2, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
});

test('decodes frames split across chunks and several frames in one chunk', () => {
  const bytes = Buffer.concat([
    encodeFrame('stdout', Buffer.from('hello ')),
    encodeFrame('stderr', Buffer.from('oops')),
    encodeFrame('stdout', Buffer.alloc(0)),
  ]);
  const decoder = new FrameDecoder();
  const frames = [
    ...decoder.push(bytes.subarray(0, 3)),
    ...decoder.push(bytes.subarray(3, 17)),
    ...decoder.push(bytes.subarray(17)),
  ];
  assert.deepEqual(
    frames.map((f) => [f.stream, f.data.toString()]),
    [
      ['stdout', 'hello '],
      ['stderr', 'oops'],
      ['stdout', ''],
    ],
  );
  assert.equal(decoder.pendingBytes, 0);
});

test('keeps an incomplete frame pending', () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(encodeFrame('stdout', Buffer.from('abcdef')).subarray(0, 10)), []);
  assert.equal(decoder.pendingBytes, 10);
});

test('rejects an unknown stream id', () => {
  assert.throws(() => new FrameDecoder().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])), /unknown stream id 9/);
});
