import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withLabels } from './label-lookup.ts';

interface Item {
  name: string;
  labels?: Record<string, string>;
}

const items: Item[] = [
  { name: 'a', labels: { pod: 'p1', ns: 'x' } },
  { name: 'b', labels: { pod: 'p1', ns: 'y' } },
  { name: 'c', labels: { pod: 'p2', ns: 'x' } },
  { name: 'd' },
];

/** A store that records which lookups were made, so the tests see the index is used. */
function store() {
  const calls: string[] = [];
  return {
    calls,
    all: () => {
      calls.push('all');
      return items;
    },
    withLabel: (key: string, value: string) => {
      calls.push(`${key}=${value}`);
      return items.filter((i) => i.labels?.[key] === value);
    },
    labelsOf: (i: Item) => i.labels,
  };
}

test('no labels wanted: every entry', () => {
  const s = store();
  assert.deepEqual(
    withLabels(s, undefined).map((i) => i.name),
    ['a', 'b', 'c', 'd'],
  );
  assert.deepEqual(
    withLabels(s, {}).map((i) => i.name),
    ['a', 'b', 'c', 'd'],
  );
  assert.deepEqual(s.calls, ['all', 'all']);
});

test('the first label goes through the index, the others filter what it found', () => {
  const s = store();
  assert.deepEqual(
    withLabels(s, { pod: 'p1', ns: 'y' }).map((i) => i.name),
    ['b'],
  );
  assert.deepEqual(
    withLabels(s, { pod: 'p1' }).map((i) => i.name),
    ['a', 'b'],
  );
  assert.deepEqual(withLabels(s, { pod: 'p3' }), []);
  assert.deepEqual(s.calls, ['pod=p1', 'pod=p1', 'pod=p3']);
});
