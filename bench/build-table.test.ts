import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTable } from './build-table.ts';

const row = (table: string, label: string) => {
  const line = table.split('\n').find((l) => l.startsWith(`| ${label}`));
  assert.ok(line, `no row starting with ${label}`);
  return line
    .split('|')
    .map((cell) => cell.trim())
    .slice(1, -1);
};

test('buildTable: medians, marina ÷ buildah, runs and the verdict against each case target', () => {
  const table = buildTable({
    marina: { cold: [900, 1100, 1000], warm: [300, 200, 250], 'one file changed': [700] },
    buildah: { cold: [1000, 1000, 1000], warm: [600, 400, 500], 'one file changed': [1400] },
  });
  assert.deepEqual(row(table, 'cold'), [
    'cold (--no-cache, base image present)',
    '1000.0',
    '1000.0',
    '1.00',
    '3 / 3',
    '≤ 1.0×',
    'PASS',
  ]);
  assert.deepEqual(row(table, 'warm'), [
    'warm (nothing changed)',
    '250.0',
    '500.0',
    '0.50',
    '3 / 3',
    '≤ 0.5× and < 1 s',
    'PASS',
  ]);
  assert.deepEqual(row(table, 'one source'), [
    'one source file changed',
    '700.0',
    '1400.0',
    '0.50',
    '1 / 1',
    '—',
    '—',
  ]);
});

test('buildTable: a warm build under half of buildah still misses when it takes 1 s or more', () => {
  const table = buildTable({ marina: { warm: [1000] }, buildah: { warm: [3000] } });
  assert.deepEqual(row(table, 'warm').slice(3), ['0.33', '1 / 1', '≤ 0.5× and < 1 s', 'MISS']);
  assert.equal(row(table, 'cold')[6], '—');
});

test('buildTable: a builder with no samples shows dashes, not NaN', () => {
  const table = buildTable({ marina: {}, buildah: { cold: [3700] } });
  assert.deepEqual(row(table, 'cold'), [
    'cold (--no-cache, base image present)',
    '—',
    '3700.0',
    '—',
    '0 / 1',
    '≤ 1.0×',
    '—',
  ]);
  assert.doesNotMatch(table, /NaN/);
});
