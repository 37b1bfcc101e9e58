import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Router } from './router.ts';

const router = new Router<string>()
  .add('GET', '/v1/images/:ref', 'inspect')
  .add('GET', '/v1/images/save', 'save')
  .add('POST', '/v1/containers/:id/start', 'start');

test('static segments win over parameters regardless of order', () => {
  assert.deepEqual(router.match('GET', '/v1/images/save'), { handler: 'save', params: {} });
});

test('parameters are URL-decoded, so references may hold slashes and colons', () => {
  assert.deepEqual(
    router.match('GET', `/v1/images/${encodeURIComponent('docker.io/library/busybox:latest')}`),
    {
      handler: 'inspect',
      params: { ref: 'docker.io/library/busybox:latest' },
    },
  );
});

test('distinguishes unknown paths from known paths with another method', () => {
  assert.equal(router.match('GET', '/v1/nothing'), undefined);
  assert.equal(router.match('GET', '/v1/containers/abc/start'), 'method-not-allowed');
});

test('a malformed escape is an Invalid error', () => {
  assert.throws(() => router.match('GET', '/v1/images/%E0%A4%A'), { code: 'Invalid' });
});
