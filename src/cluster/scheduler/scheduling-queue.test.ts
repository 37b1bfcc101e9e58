import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulingQueue } from './scheduling-queue.ts';
import { pod } from './test-objects.ts';

const key = (name: string) => `uid-default-${name}`;
const name = (p: ReturnType<SchedulingQueue['pop']>) => p?.metadata.name;

test('pods come out by priority, then by how long they have waited', () => {
  const queue = new SchedulingQueue();
  queue.add(pod('low-early'), 1);
  queue.add(pod('high', { priority: 100 }), 2);
  queue.add(pod('low-late'), 3);
  queue.add(pod('low-same-ms'), 3);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => name(queue.pop(10))),
    ['high', 'low-early', 'low-late', 'low-same-ms', undefined],
  );
});

test('a new version of an active pod keeps its place and takes its new priority', () => {
  const queue = new SchedulingQueue();
  queue.add(pod('a'), 1);
  queue.add(pod('b'), 2);
  queue.add(pod('b', { priority: 5 }), 3);
  assert.equal(name(queue.pop(4)), 'b');
  assert.equal(name(queue.pop(4)), 'a');
  assert.equal(queue.pop(4), undefined, 'the replaced entry is not popped twice');
});

test('unschedulable pods wait for a cluster change, then for their backoff', () => {
  const queue = new SchedulingQueue();
  queue.add(pod('p'), 0);
  queue.pop(0);
  queue.failed(key('p'), 100);
  assert.deepEqual(queue.sizes, { active: 0, backoff: 0, unschedulable: 1, inFlight: 0 });
  assert.equal(queue.pop(60_000), undefined, 'no change, no retry');
  queue.clusterChanged(600);
  assert.equal(queue.pop(600), undefined, 'still backing off (1 s after the failure)');
  assert.equal(queue.nextBackoffExpiry(), 1100);
  assert.equal(name(queue.pop(1100)), 'p');
  queue.failed(key('p'), 2000);
  queue.clusterChanged(2000);
  assert.equal(queue.nextBackoffExpiry(), 4000, 'the second failure backs off 2 s');
  queue.pop(4000);
  queue.done(key('p'));
  assert.deepEqual(queue.sizes, { active: 0, backoff: 0, unschedulable: 0, inFlight: 0 });
});

test('backoff doubles from 1 s and stops at 10 s', () => {
  const queue = new SchedulingQueue();
  assert.deepEqual(
    [1, 2, 3, 4, 5, 9].map((n) => queue.backoffDuration(n)),
    [1000, 2000, 4000, 8000, 10_000, 10_000],
  );
});

test('a cluster change during an attempt sends the failed pod to backoff, not to wait for another change', () => {
  const queue = new SchedulingQueue();
  queue.add(pod('p'), 0);
  queue.pop(0);
  queue.clusterChanged(50);
  queue.failed(key('p'), 100);
  assert.deepEqual(queue.sizes, { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
  assert.equal(name(queue.pop(1100)), 'p');
});

test('an updated unschedulable pod is retried; a deleted one is gone; stale ones retry after 5 minutes', () => {
  const queue = new SchedulingQueue();
  for (const n of ['changed', 'deleted', 'stale']) {
    queue.add(pod(n), 0);
    queue.pop(0);
    queue.failed(key(n), 0);
  }
  queue.add(pod('changed', { cpu: '1' }), 2000);
  queue.delete(key('deleted'));
  assert.equal(name(queue.pop(2000)), 'changed');
  assert.equal(queue.pop(2000), undefined);
  assert.equal(name(queue.pop(5 * 60_000)), 'stale');
});
