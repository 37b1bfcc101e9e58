import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineEvent } from '../engine/container-types.ts';
import { encodeEvent, eventMatches, parseEventFilters, parseTimeNano } from './events-codec.ts';

const start: EngineEvent = {
  type: 'container',
  action: 'start',
  actor: { id: 'abc123', attributes: { name: 'web', image: 'busybox', tier: 'front' } },
  timeNano: 1_700_000_000_123_456_789n,
};

test('encodes timeNano exactly as a JSON integer', () => {
  const line = encodeEvent(start);
  assert.ok(line.endsWith('"timeNano":1700000000123456789}\n'));
  assert.equal(JSON.parse(line).time, 1_700_000_000);
});

test('filters: AND across keys, OR within a key', () => {
  assert.ok(eventMatches(parseEventFilters('{"type":["container"],"event":["die","start"]}'), start));
  assert.ok(eventMatches(parseEventFilters('{"container":["web"],"label":["tier=front"]}'), start));
  assert.ok(!eventMatches(parseEventFilters('{"type":["container"],"event":["die"]}'), start));
  assert.ok(!eventMatches(parseEventFilters('{"label":["tier=back"]}'), start));
  assert.ok(eventMatches(parseEventFilters('{"type":{"container":true}}'), start));
});

test('volume and network filters match their own events by id, id prefix or name', () => {
  const connect: EngineEvent = {
    type: 'network',
    action: 'connect',
    actor: { id: 'feed99', attributes: { name: 'backend', type: 'bridge', container: 'abc123' } },
    timeNano: 1n,
  };
  const volume: EngineEvent = { type: 'volume', action: 'create', actor: { id: 'data', attributes: { driver: 'local' } }, timeNano: 2n };
  for (const value of ['backend', 'feed', 'feed99']) assert.ok(eventMatches(parseEventFilters(JSON.stringify({ network: [value] })), connect));
  assert.ok(!eventMatches(parseEventFilters('{"network":["frontend"]}'), connect));
  assert.ok(!eventMatches(parseEventFilters('{"network":["backend"]}'), start));
  assert.ok(!eventMatches(parseEventFilters('{"network":["data"]}'), volume));
  assert.ok(eventMatches(parseEventFilters('{"volume":["data"],"type":["volume"]}'), volume));
  assert.ok(!eventMatches(parseEventFilters('{"type":["network"]}'), volume));
});

test('refuses unknown filter keys and non-JSON', () => {
  assert.throws(() => parseEventFilters('{"colour":["red"]}'), /unknown event filter "colour"/);
  assert.throws(() => parseEventFilters('type=container'), { code: 'Invalid' });
});

test('since accepts unix seconds with fraction and RFC 3339', () => {
  assert.equal(parseTimeNano('1700000000.5', 'since'), 1_700_000_000_500_000_000n);
  assert.equal(parseTimeNano('2023-11-14T22:13:20Z', 'since'), 1_700_000_000_000_000_000n);
  assert.throws(() => parseTimeNano('yesterday', 'since'), { code: 'Invalid' });
});
