import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DnsFrameReader, framed } from './dns-framing.ts';

test('framed prefixes the two-byte big-endian length', () => {
  assert.deepEqual([...framed(Buffer.from([7, 8, 9]))], [0, 3, 7, 8, 9]);
  assert.deepEqual([...framed(Buffer.alloc(300)).subarray(0, 2)], [1, 44]);
});

test('DnsFrameReader: messages split across chunks and joined in one chunk come out whole, in order', () => {
  const first = Buffer.from('first message');
  const second = Buffer.from('second');
  const stream = Buffer.concat([framed(first), framed(second), framed(Buffer.from('third'))]);
  const reader = new DnsFrameReader();
  assert.deepEqual(reader.push(stream.subarray(0, 1)), []);
  assert.deepEqual(reader.push(stream.subarray(1, 5)), []);
  const out = reader.push(stream.subarray(5, stream.length - 2));
  assert.deepEqual(out.map(String), ['first message', 'second']);
  assert.deepEqual(reader.push(stream.subarray(stream.length - 2)).map(String), ['third']);
});

test('DnsFrameReader: an empty message is a message', () => {
  assert.deepEqual(
    new DnsFrameReader().push(Buffer.from([0, 0])).map((m) => m.length),
    [0],
  );
});
