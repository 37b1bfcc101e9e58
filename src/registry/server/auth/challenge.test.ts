/** The Bearer challenge's exact format, which docker, skopeo and containerd parse. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearerChallenge, challengeScope } from './challenge.ts';

test('bearerChallenge: realm on the request origin, service, scope, error', () => {
  assert.equal(
    bearerChallenge({
      origin: 'https://127.0.0.1:5000',
      service: 'marina-registry',
      scope: { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      error: 'insufficient_scope',
    }),
    'Bearer realm="https://127.0.0.1:5000/auth/token",service="marina-registry",scope="repository:team/app:pull,push",error="insufficient_scope"',
  );
  assert.equal(
    bearerChallenge({ origin: 'http://localhost:5000', service: 'marina-registry' }),
    'Bearer realm="http://localhost:5000/auth/token",service="marina-registry"',
  );
});

test('bearerChallenge: quotes inside values are escaped', () => {
  assert.equal(
    bearerChallenge({ origin: 'http://h', service: 'a"b' }),
    'Bearer realm="http://h/auth/token",service="a\\"b"',
  );
});

test('challengeScope: a push asks for pull too; other requests as they are', () => {
  assert.deepEqual(challengeScope({ type: 'repository', name: 'app', actions: ['push'] }).actions, [
    'pull',
    'push',
  ]);
  assert.deepEqual(challengeScope({ type: 'repository', name: 'app', actions: ['delete'] }).actions, [
    'delete',
  ]);
  assert.deepEqual(challengeScope({ type: 'registry', name: 'catalog', actions: ['*'] }).actions, ['*']);
});
