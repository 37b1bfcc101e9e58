import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatK8sLine, PartialLineAssembler, parseK8sLine, parseRfc3339Nano } from './k8s-log.ts';

const line = (text: string) => Buffer.from(text);

test('parses a final record, keeping the time string and nanoseconds', () => {
  const record = parseK8sLine(line('2026-11-22T18:56:02.004232110+00:00 stdout F hello world'));
  assert.ok(record);
  assert.equal(record.time, '2026-11-22T18:56:02.004232110+00:00');
  assert.equal(record.timeNano, BigInt(Date.UTC(2026, 10, 22, 18, 56, 2)) * 1_000_000n + 4_232_110n);
  assert.equal(record.stream, 'stdout');
  assert.equal(record.partial, false);
  assert.equal(record.data.toString(), 'hello world');
});

test('time zone offsets move the instant', () => {
  assert.equal(parseRfc3339Nano('2026-11-22T20:56:02.5+02:00'), parseRfc3339Nano('2026-11-22T18:56:02.500000000Z'));
  assert.equal(parseRfc3339Nano('2026-02-31T00:00:00Z'), undefined);
  assert.equal(parseRfc3339Nano('yesterday'), undefined);
});

test('empty lines parse with or without the space after the tag; garbage does not parse', () => {
  assert.equal(parseK8sLine(line('2026-11-22T18:56:02Z stderr F '))?.data.length, 0);
  assert.equal(parseK8sLine(line('2026-11-22T18:56:02Z stderr F'))?.data.length, 0);
  assert.equal(parseK8sLine(line('2026-11-22T18:56:02Z stdin F x')), undefined);
  assert.equal(parseK8sLine(line('2026-11-22T18:56:02Z stdout X x')), undefined);
  assert.equal(parseK8sLine(line('not a log line')), undefined);
});

test('format and parse round-trip', () => {
  const bytes = formatK8sLine('2026-11-22T18:56:02.000000001Z', 'stderr', true, 'a b');
  assert.equal(bytes.toString(), '2026-11-22T18:56:02.000000001Z stderr P a b\n');
  const record = parseK8sLine(bytes.subarray(0, -1));
  assert.deepEqual([record?.stream, record?.partial, record?.data.toString()], ['stderr', true, 'a b']);
});

test('partials of one stream join into one entry, across an interleaved line of the other stream', () => {
  const assembler = new PartialLineAssembler();
  const feed = (text: string) => assembler.push(parseK8sLine(line(text))!);
  assert.equal(feed('2026-11-22T18:56:02.1Z stdout P abc'), undefined);
  const err = feed('2026-11-22T18:56:02.2Z stderr F oops');
  assert.equal(err?.data.toString(), 'oops\n');
  assert.equal(feed('2026-11-22T18:56:02.3Z stdout P def'), undefined);
  const out = feed('2026-11-22T18:56:02.4Z stdout F ghi');
  assert.equal(out?.data.toString(), 'abcdefghi\n');
  assert.equal(out?.time, '2026-11-22T18:56:02.4Z');
  assert.deepEqual(assembler.flush(), []);
});

test('a multi-byte character split across partials is joined intact', () => {
  const assembler = new PartialLineAssembler();
  const euro = Buffer.from('€');
  const head = Buffer.concat([Buffer.from('2026-11-22T18:56:02Z stdout P '), euro.subarray(0, 1)]);
  const tail = Buffer.concat([Buffer.from('2026-11-22T18:56:02Z stdout F '), euro.subarray(1)]);
  assembler.push(parseK8sLine(head)!);
  assert.equal(assembler.push(parseK8sLine(tail)!)?.data.toString(), '€\n');
});

test('flush returns unfinished lines without a newline', () => {
  const assembler = new PartialLineAssembler();
  assembler.push(parseK8sLine(line('2026-11-22T18:56:03Z stderr P late'))!);
  assembler.push(parseK8sLine(line('2026-11-22T18:56:02Z stdout P early'))!);
  const flushed = assembler.flush();
  assert.deepEqual(
    flushed.map((e) => [e.stream, e.data.toString()]),
    [
      ['stdout', 'early'],
      ['stderr', 'late'],
    ],
  );
  assert.deepEqual(assembler.flush(), []);
});
