import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registryCodeOf } from '../registry-errors.ts';
import { registryErrorFromResponse } from './registry-error-body.ts';

test('spec error bodies keep their code', () => {
  const err = registryErrorFromResponse(
    404,
    JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { tag: 'x' } }] }),
    'manifest for a:x not found',
  );
  assert.equal(err.code, 'NotFound');
  assert.equal(registryCodeOf(err), 'MANIFEST_UNKNOWN');
  assert.equal(err.message, 'manifest for a:x not found: manifest unknown');
  const denied = registryErrorFromResponse(403, '{"errors":[{"code":"DENIED","message":"no push for you"}]}', 'push');
  assert.equal(denied.code, 'Forbidden');
  assert.match(denied.message, /no push for you/);
});

test('other bodies fall back on the HTTP status', () => {
  const err = registryErrorFromResponse(503, 'upstream down', 'pull of a');
  assert.equal(err.code, 'Unavailable');
  assert.equal(registryCodeOf(err), undefined);
  assert.match(err.message, /HTTP 503 \(upstream down\)/);
  assert.equal(registryErrorFromResponse(401, '', 'x').code, 'Unauthorized');
  assert.equal(registryErrorFromResponse(400, '{"errors":[{"code":"SOMETHING_NEW"}]}', 'x').code, 'Invalid');
});
