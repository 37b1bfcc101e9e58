import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineEvent } from './container-types.ts';
import { EventBus } from './events.ts';

const quiet = { warn: () => {} };

async function take(iterable: AsyncIterable<EngineEvent>, n: number): Promise<string[]> {
  const actions: string[] = [];
  const iterator = iterable[Symbol.asyncIterator]();
  while (actions.length < n) {
    const { value, done } = await iterator.next();
    if (done) break;
    actions.push(value.action);
  }
  return actions;
}

test('event times are strictly increasing nanoseconds near the wall clock', () => {
  const bus = new EventBus({ logger: quiet });
  const before = BigInt(Date.now() - 1000) * 1_000_000n;
  const times = Array.from({ length: 100 }, () => bus.emit('container', 'start', 'c').timeNano);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!);
  assert.ok(times[0]! > before && times[0]! < before + 10_000_000_000n);
});

test('since replays history at or after it, then live events follow', async () => {
  const bus = new EventBus({ logger: quiet });
  bus.emit('container', 'create', 'a');
  const start = bus.emit('container', 'start', 'a');
  const abort = new AbortController();
  const stream = bus.subscribe({ since: start.timeNano }, abort.signal);
  bus.emit('container', 'die', 'a', { exitCode: '0' });
  assert.deepEqual(await take(stream, 2), ['start', 'die']);
  abort.abort();
});

test('without since only live events; the filter applies to history and live', async () => {
  const bus = new EventBus({ logger: quiet });
  bus.emit('image', 'pull', 'busybox');
  const abort = new AbortController();
  const onlyImages = bus.subscribe({ filter: (e) => e.type === 'image' }, abort.signal);
  bus.emit('container', 'create', 'a');
  bus.emit('image', 'tag', 'busybox');
  assert.deepEqual(await take(onlyImages, 1), ['tag']);
  abort.abort();
});

test('history keeps only the last historySize events', async () => {
  const bus = new EventBus({ logger: quiet, historySize: 3 });
  for (const action of ['a', 'b', 'c', 'd', 'e']) bus.emit('container', action, 'x');
  const abort = new AbortController();
  const stream = bus.subscribe({ since: 0n }, abort.signal);
  abort.abort();
  assert.deepEqual(await take(stream, 10), [], 'an aborted subscription yields nothing more');
  const abort2 = new AbortController();
  const replay = bus.subscribe({ since: 0n }, abort2.signal);
  assert.deepEqual(await take(replay, 3), ['c', 'd', 'e']);
  abort2.abort();
});

test('abort ends a waiting subscriber cleanly and unsubscribes it', async () => {
  const bus = new EventBus({ logger: quiet });
  const abort = new AbortController();
  const iterator = bus.subscribe({}, abort.signal)[Symbol.asyncIterator]();
  const pending = iterator.next();
  abort.abort();
  assert.deepEqual(await pending, { value: undefined, done: true });
  bus.emit('container', 'start', 'a');
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
});

test('breaking out of for-await unsubscribes', async () => {
  const bus = new EventBus({ logger: quiet });
  const stream = bus.subscribe({}, new AbortController().signal);
  bus.emit('container', 'one', 'a');
  bus.emit('container', 'two', 'a');
  for await (const event of stream) {
    assert.equal(event.action, 'one');
    break;
  }
  assert.deepEqual(await stream[Symbol.asyncIterator]().next(), { value: undefined, done: true });
});

test('a slow subscriber loses its oldest events with one warning; emit never waits', async () => {
  const warnings: unknown[] = [];
  const bus = new EventBus({ logger: { warn: (...args: unknown[]) => warnings.push(args) }, queueSize: 3 });
  const abort = new AbortController();
  const slow = bus.subscribe({}, abort.signal);
  for (let i = 0; i < 10; i++) bus.emit('container', `e${i}`, 'a');
  assert.equal(warnings.length, 1);
  assert.deepEqual(await take(slow, 3), ['e7', 'e8', 'e9']);
  abort.abort();
});

test('emit(event) takes a whole event and restamps its time', async () => {
  const bus = new EventBus();
  const abort = new AbortController();
  const stream = bus.subscribe({}, abort.signal);
  const first = bus.emit({ type: 'image', action: 'pull', actor: { id: 'busybox', attributes: {} }, timeNano: 5n });
  const second = bus.emit('image', 'tag', 'busybox');
  assert.ok(first.timeNano > 5n && second.timeNano > first.timeNano);
  assert.deepEqual(await take(stream, 2), ['pull', 'tag']);
  abort.abort();
});
