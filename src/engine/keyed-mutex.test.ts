import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedMutex } from './keyed-mutex.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('operations on one key run one at a time, in order, even when one fails', async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  const op = (name: string, fail = false) => async () => {
    log.push(`${name} start`);
    await tick();
    log.push(`${name} end`);
    if (fail) throw new Error(name);
    return name;
  };
  const results = await Promise.allSettled([mutex.run('a', op('1', true)), mutex.run('a', op('2')), mutex.run('a', op('3'))]);
  assert.deepEqual(log, ['1 start', '1 end', '2 start', '2 end', '3 start', '3 end']);
  assert.equal(results[0].status, 'rejected');
  assert.deepEqual(results[1], { status: 'fulfilled', value: '2' });
});

test('different keys run concurrently', async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  let release!: () => void;
  const blocked = mutex.run('a', () => new Promise<void>((r) => (release = r)));
  await mutex.run('b', async () => log.push('b ran'));
  assert.deepEqual(log, ['b ran']);
  release();
  await blocked;
});

test('idle waits for everything queued', async () => {
  const mutex = new KeyedMutex();
  let done = 0;
  void mutex.run('a', async () => {
    await tick();
    done++;
  });
  void mutex.run('b', async () => {
    await tick();
    await tick();
    done++;
  });
  await mutex.idle();
  assert.equal(done, 2);
});
