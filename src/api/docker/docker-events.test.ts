import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineEvent } from '../../engine/container-types.ts';
import { EventBus } from '../../engine/events.ts';
import { dockerEventFilter, encodeDockerEvent, eventsUntil } from './docker-events.ts';

const event = (type: EngineEvent['type'], action: string, id: string, attributes: Record<string, string>, timeNano = 1_700_000_000_123_456_789n): EngineEvent => ({
  type,
  action,
  actor: { id, attributes },
  timeNano,
});

test('events in moby shape: legacy status/id/from for containers and images only, exact timeNano', () => {
  const line = encodeDockerEvent(event('container', 'start', 'c1', { image: 'busybox', name: 'web' }));
  assert.ok(line.endsWith('\n'));
  assert.match(line, /"timeNano":1700000000123456789}\n$/);
  const parsed = JSON.parse(line);
  assert.deepEqual(
    { ...parsed, timeNano: undefined },
    {
      status: 'start',
      id: 'c1',
      from: 'busybox',
      Type: 'container',
      Action: 'start',
      Actor: { ID: 'c1', Attributes: { image: 'busybox', name: 'web' } },
      scope: 'local',
      time: 1700000000,
      timeNano: undefined,
    },
  );
  const image = JSON.parse(encodeDockerEvent(event('image', 'tag', 'sha256:ab', { name: 'x:1' })));
  assert.equal(image.status, 'tag');
  assert.equal(image.from, undefined);
  const network = JSON.parse(encodeDockerEvent(event('network', 'create', 'n1', { name: 'net' })));
  assert.equal(network.status, undefined);
  assert.equal(network.Type, 'network');
  const volume = JSON.parse(encodeDockerEvent(event('volume', 'destroy', 'data', { driver: 'local' })));
  assert.deepEqual([volume.status, volume.Type, volume.Action, volume.Actor], [undefined, 'volume', 'destroy', { ID: 'data', Attributes: { driver: 'local' } }]);
});

test('filters: docker keys including network and scope; unknown keys refused', () => {
  const f = (o: Record<string, string[]>) => dockerEventFilter(new Map(Object.entries(o)));
  const start = event('container', 'start', 'abc123', { image: 'busybox', name: 'web', 'com.x': 'y' });
  const net = event('network', 'connect', 'feed99', { name: 'n1', container: 'abc123' });
  assert.ok(f({})(start));
  assert.ok(f({ type: ['container'], event: ['start', 'die'] })(start));
  assert.ok(!f({ event: ['die'] })(start));
  assert.ok(f({ container: ['web'] })(start));
  assert.ok(f({ label: ['com.x=y'] })(start));
  assert.ok(f({ image: ['busybox'] })(start));
  assert.ok(f({ network: ['n1'] })(net));
  assert.ok(f({ network: ['feed'] })(net));
  assert.ok(!f({ network: ['n1'] })(start));
  assert.ok(f({ type: ['network'], event: ['connect'], network: ['n1'] })(net));
  assert.ok(!f({ type: ['volume'] })(net));
  assert.ok(f({ type: ['volume'], volume: ['data'] })(event('volume', 'create', 'data', { driver: 'local' })));
  assert.ok(f({ scope: ['local'] })(start));
  assert.ok(!f({ scope: ['swarm'] })(start));
  assert.throws(() => f({ colour: ['red'] }), { code: 'Invalid' });
});

test('until: past events up to it, then the stream ends even with nothing more to come', async (t) => {
  const bus = new EventBus();
  const controller = new AbortController();
  t.after(() => controller.abort());
  const first = bus.emit('container', 'start', 'a');
  const second = bus.emit('container', 'die', 'a');
  bus.emit('container', 'destroy', 'a');
  const seen: string[] = [];
  for await (const e of eventsUntil(bus.subscribe({ since: 0n }, controller.signal), second.timeNano)) seen.push(e.action);
  assert.deepEqual(seen, ['start', 'die']);
  assert.ok(first.timeNano < second.timeNano);

  // A deadline a little ahead: live events before it pass, and the stream ends at it.
  const now = BigInt(Date.now()) * 1_000_000n;
  const live = eventsUntil(bus.subscribe({}, controller.signal), now + 150_000_000n);
  setTimeout(() => bus.emit('container', 'create', 'b'), 20);
  const started = Date.now();
  const later: string[] = [];
  for await (const e of live) later.push(e.action);
  assert.deepEqual(later, ['create']);
  assert.ok(Date.now() - started >= 100, 'ended at the deadline, not before');
});

test('without until every event passes until the subscription ends', async () => {
  const bus = new EventBus();
  const controller = new AbortController();
  const stream = eventsUntil(bus.subscribe({}, controller.signal), undefined);
  setTimeout(() => {
    bus.emit('volume', 'create', 'v');
    setTimeout(() => controller.abort(), 10);
  }, 10);
  const seen: string[] = [];
  for await (const e of stream) seen.push(e.action);
  assert.deepEqual(seen, ['create']);
});
