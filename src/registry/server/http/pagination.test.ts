import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextPageLink, parsePageQuery } from './pagination.ts';

test('n and last are read; empty ones are absent', () => {
  assert.deepEqual(parsePageQuery(new URLSearchParams('n=2&last=b')), { n: 2, last: 'b' });
  assert.deepEqual(parsePageQuery(new URLSearchParams('n=&last=')), {});
  assert.deepEqual(parsePageQuery(new URLSearchParams('')), {});
});

test('a non-numeric n is Invalid', () => {
  assert.throws(() => parsePageQuery(new URLSearchParams('n=-1')), { code: 'Invalid' });
  assert.throws(() => parsePageQuery(new URLSearchParams('n=ten')), { code: 'Invalid' });
});

test('the next link keeps the page size and escapes last', () => {
  assert.equal(nextPageLink('/v2/a/b/tags/list', 2, 'v1'), '</v2/a/b/tags/list?n=2&last=v1>; rel="next"');
  assert.equal(nextPageLink('/v2/_catalog', undefined, 'a/b'), '</v2/_catalog?last=a%2Fb>; rel="next"');
});
