import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MarinaError, notFound } from '../../../errors.ts';
import { registryError } from '../../registry-errors.ts';
import { encodeRegistryError } from './error-encoding.ts';

test('a spec error keeps its code, status and detail', () => {
  const encoded = encodeRegistryError(
    registryError('BLOB_UNKNOWN', 'no such blob', { digest: 'sha256:x' }),
    'manifest',
  );
  assert.equal(encoded.status, 404);
  assert.equal(encoded.code, 'BLOB_UNKNOWN');
  assert.deepEqual(JSON.parse(encoded.body), {
    errors: [{ code: 'BLOB_UNKNOWN', message: 'no such blob', detail: { digest: 'sha256:x' } }],
  });
  assert.equal(encodeRegistryError(registryError('MANIFEST_TOO_LARGE', 'big'), 'manifest').status, 413);
  assert.equal(encodeRegistryError(registryError('RANGE_INVALID', 'gap'), 'upload').status, 416);
});

test('other MarinaErrors take their code from the route', () => {
  assert.deepEqual(
    [
      encodeRegistryError(notFound('x'), 'manifest').code,
      encodeRegistryError(notFound('x'), 'manifest').status,
    ],
    ['MANIFEST_UNKNOWN', 404],
  );
  assert.equal(encodeRegistryError(notFound('x'), 'blob').code, 'BLOB_UNKNOWN');
  assert.equal(encodeRegistryError(notFound('x'), 'upload').code, 'BLOB_UPLOAD_UNKNOWN');
  assert.equal(encodeRegistryError(notFound('x'), undefined).code, 'NAME_UNKNOWN');
  const invalid = encodeRegistryError(new MarinaError('Invalid', 'bad'), 'manifest');
  assert.deepEqual([invalid.status, invalid.code], [400, 'MANIFEST_INVALID']);
  assert.equal(
    encodeRegistryError(new MarinaError('Invalid', 'bad n'), 'tags').code,
    'PAGINATION_NUMBER_INVALID',
  );
});

test('auth, unsupported, unavailable and unexpected errors', () => {
  assert.deepEqual(pick(new MarinaError('Unauthorized', 'who')), [401, 'UNAUTHORIZED']);
  assert.deepEqual(pick(new MarinaError('Forbidden', 'no')), [403, 'DENIED']);
  assert.deepEqual(pick(new MarinaError('Unsupported', 'no')), [405, 'UNSUPPORTED']);
  assert.deepEqual(pick(new MarinaError('Unavailable', 'down')), [503, 'UNAVAILABLE']);
  assert.deepEqual(pick(new Error('boom')), [500, 'UNKNOWN']);
  assert.equal(JSON.parse(encodeRegistryError(new Error('boom'), 'blob').body).errors[0].message, 'boom');
});

function pick(err: unknown): [number, string] {
  const encoded = encodeRegistryError(err, 'blob');
  return [encoded.status, encoded.code];
}
