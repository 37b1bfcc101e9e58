import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '../cluster/resources/core-schemas.ts';
import { describeObject } from './cluster-describe.ts';

const now = Date.parse('2025-01-01T12:00:00Z');

test('a secret is described by the sizes of its values, never the values; events are listed oldest first', () => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default', labels: { b: '2', a: '1' } }, type: 'Opaque', data: { password: 'aHVudGVyMg==' } };
  const event = (reason: string, at: string): Event => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: reason }, involvedObject: {}, type: 'Normal', reason, message: reason.toLowerCase(), lastTimestamp: at });
  const text = describeObject(secret, [event('Second', '2025-01-01T11:59:50Z'), event('First', '2025-01-01T11:00:00Z')], now);
  assert.match(text, /^Labels:\s+a=1\n\s+b=2$/m);
  assert.match(text, /^ {2}password:\s+7 bytes$/m);
  assert.doesNotMatch(text, /aHVudGVyMg|hunter2/);
  assert.match(text, /First\s+60m\s+first[\s\S]*Second\s+10s\s+second/);
});

test('kinds without a layout show their fields as YAML; no events is <none>', () => {
  const text = describeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } }, [], now);
  assert.match(text, /^data:\n {2}k: v$/m);
  assert.match(text, /^Events:\s+<none>$/m);
});
