import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExitWaiters } from './exit-waiters.ts';

test('waiters resolve only for their condition and container', async () => {
  const waiters = new ExitWaiters();
  const removed = waiters.waitFor('a', 'removed');
  const exit = waiters.waitFor('a', 'next-exit');
  const other = waiters.waitFor('b', 'next-exit');
  waiters.resolve('a', ['next-exit', 'not-running'], 3);
  assert.equal(await exit, 3);
  let removedDone = false;
  void removed.then(() => {
    removedDone = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(removedDone, false, 'removed waits for the removal');
  waiters.resolve('a', ['removed'], 3);
  assert.equal(await removed, 3);
  waiters.resolve('b', ['next-exit'], 0);
  assert.equal(await other, 0);
});

test('an aborted wait rejects and is forgotten', async () => {
  const waiters = new ExitWaiters();
  const controller = new AbortController();
  const waiting = waiters.waitFor('a', 'next-exit', controller.signal);
  controller.abort(new Error('client went away'));
  await assert.rejects(waiting, /client went away/);
  waiters.resolve('a', ['next-exit'], 1);
  assert.throws(() => waiters.waitFor('a', 'next-exit', controller.signal), /client went away/);
});
