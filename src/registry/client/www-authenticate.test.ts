import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWwwAuthenticate } from './www-authenticate.ts';

test('parses a Docker token challenge', () => {
  assert.deepEqual(
    parseWwwAuthenticate(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"',
    ),
    [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/busybox:pull,push',
        },
      },
    ],
  );
});

test('parses Basic, unquoted values, escapes and several challenges', () => {
  assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [
    { scheme: 'basic', params: { realm: 'Registry Realm' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('Bearer realm=http://a/t , Error=insufficient_scope'), [
    { scheme: 'bearer', params: { realm: 'http://a/t', error: 'insufficient_scope' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('Basic realm="a \\"b\\" c", Bearer realm="x",scope="s"'), [
    { scheme: 'basic', params: { realm: 'a "b" c' } },
    { scheme: 'bearer', params: { realm: 'x', scope: 's' } },
  ]);
});

test('tolerates empty and odd headers', () => {
  assert.deepEqual(parseWwwAuthenticate(''), []);
  assert.deepEqual(parseWwwAuthenticate('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
});
