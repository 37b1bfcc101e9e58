import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcGate } from './gc-gate.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

test('a collection waits for running writers and holds new ones back', async () => {
  const gate = new GcGate();
  const log: string[] = [];
  const writerRelease = deferred();
  const writer = gate.write(async () => {
    log.push('writer start');
    await writerRelease.promise;
    log.push('writer end');
  });
  const collection = gate.collect(async () => {
    log.push('collect');
  });
  await Promise.resolve();
  const lateWriter = gate.write(async () => {
    log.push('late writer');
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['writer start'], 'collection and late writer wait');
  writerRelease.resolve();
  await Promise.all([writer, collection, lateWriter]);
  assert.deepEqual(log, ['writer start', 'writer end', 'collect', 'late writer']);
});

test('writers run together and a failing one releases the gate', async () => {
  const gate = new GcGate();
  await assert.rejects(
    gate.write(async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  const results = await Promise.all([
    gate.write(async () => 1),
    gate.write(async () => 2),
    gate.collect(async () => 3),
  ]);
  assert.deepEqual(results, [1, 2, 3]);
});
