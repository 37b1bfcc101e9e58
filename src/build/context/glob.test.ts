import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasMeta, matchSegment } from './glob.ts';

test('segment patterns match like Go filepath.Match', () => {
  const cases: [string, string, boolean][] = [
    ['*', 'anything', true],
    ['*', '.hidden', true],
    ['*.txt', 'a.txt', true],
    ['*.txt', 'a.txt.bak', false],
    ['a*b*c', 'abxbc', true],
    ['a*b*c', 'abxbcx', false],
    ['?', 'ab', false],
    ['??', 'ab', true],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[^a-c]x', 'dx', true],
    ['[!a-c]x', 'ax', false],
    ['[!a-c]x', 'dx', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['[\\]]', ']', true],
    ['é?', 'éé', true],
  ];
  for (const [pattern, name, expected] of cases)
    assert.equal(matchSegment(pattern, name), expected, `${pattern} ~ ${name}`);
});

test('malformed patterns are refused', () => {
  for (const pattern of ['[', '[a-', '[]', 'a\\', '[-a]']) {
    assert.throws(() => matchSegment(pattern, 'a'), { code: 'Invalid' }, pattern);
  }
});

test('hasMeta tells patterns from plain names', () => {
  assert.equal(hasMeta('file.txt'), false);
  assert.equal(hasMeta('*.txt'), true);
  assert.equal(hasMeta('a\\b'), true);
  assert.equal(hasMeta('[ab]'), true);
});
