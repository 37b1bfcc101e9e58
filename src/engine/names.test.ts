import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { generateId, shortId } from '../ids.ts';
import { randomName, validateName } from './names.ts';

test('ids are 64 lowercase hex characters and differ', () => {
  const a = generateId();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, generateId());
  assert.equal(shortId(a), a.slice(0, 12));
});

test('names: valid ones pass, with or without the leading slash', () => {
  assert.equal(validateName('web-1'), 'web-1');
  assert.equal(validateName('/db.main_2'), 'db.main_2');
});

test('names: invalid ones are refused with Invalid', () => {
  for (const bad of ['a', '-x', '_x', 'has space', 'semi;colon', '', 'ünï']) {
    assert.throws(() => validateName(bad), (e) => isMarinaError(e, 'Invalid') && e.message.includes(`"${bad}"`));
  }
});

test('random names look like adjective_noun and are themselves valid', () => {
  for (let i = 0; i < 50; i++) {
    const n = randomName();
    assert.match(n, /^[a-z]+_[a-z]+$/);
    validateName(n);
  }
});
