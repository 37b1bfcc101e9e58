import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkQueue } from './work-queue.ts';

function manualTimers() {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const timer = { fn, ms, cancelled: false };
      pending.push(timer);
      return { cancel: () => (timer.cancelled = true) };
    },
    fire() {
      for (const timer of pending.splice(0)) if (!timer.cancelled) timer.fn();
    },
  };
}

test('a key added many times while waiting is handed out once', async () => {
  const queue = new WorkQueue();
  queue.add('a');
  queue.add('b');
  queue.add('a');
  assert.equal(queue.length, 2);
  assert.equal(await queue.get(), 'a');
  assert.equal(await queue.get(), 'b');
});

test('a key being processed is not handed out again until done, then once more', async () => {
  const queue = new WorkQueue();
  queue.add('a');
  const key = await queue.get();
  queue.add('a');
  queue.add('a');
  assert.equal(queue.length, 0, 'not queued while processing');
  queue.done(key!);
  assert.equal(queue.length, 1);
  assert.equal(await queue.get(), 'a');
});

test('a waiting get receives the next key added; shutdown releases waiters with undefined', async () => {
  const queue = new WorkQueue();
  const waiting = queue.get();
  queue.add('x');
  assert.equal(await waiting, 'x');
  const another = queue.get();
  queue.shutdown();
  assert.equal(await another, undefined);
  queue.add('y');
  assert.equal(await queue.get(), undefined);
});

test('retry backs off exponentially per key up to the cap; forget resets it', () => {
  const timers = manualTimers();
  const queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 500, setTimer: timers.setTimer });
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    timers.fire();
    delays.push(queue.retry('a'));
  }
  assert.deepEqual(delays, [100, 200, 400, 500]);
  queue.forget('a');
  timers.fire();
  assert.equal(queue.retry('a'), 100);
});

test('addAfter keeps the earliest pending time for a key and adds it when the timer fires', async () => {
  const timers = manualTimers();
  const queue = new WorkQueue({ setTimer: timers.setTimer });
  queue.addAfter('a', 1000);
  queue.addAfter('a', 5000);
  assert.equal(timers.pending.length, 1);
  queue.addAfter('a', 10);
  assert.deepEqual(
    timers.pending.map((t) => [t.ms, t.cancelled]),
    [
      [1000, true],
      [10, false],
    ],
  );
  assert.equal(queue.length, 0);
  timers.fire();
  assert.equal(await queue.get(), 'a');
});
