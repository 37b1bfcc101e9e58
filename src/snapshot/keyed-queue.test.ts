import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KeyedQueue } from './keyed-queue.ts';

it('runs operations of one key one at a time, in call order, even after a failure', async () => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const first = queue.run('k', async () => {
    log.push('first start');
    await gate;
    log.push('first end');
    throw new Error('boom');
  });
  const second = queue.run('k', async () => {
    log.push('second');
    return 2;
  });
  const other = queue.run('other', async () => {
    log.push('other');
  });
  await other;
  assert.deepEqual(log, ['first start', 'other']);
  release();
  await assert.rejects(first, /boom/);
  assert.equal(await second, 2);
  assert.deepEqual(log, ['first start', 'other', 'first end', 'second']);
});
