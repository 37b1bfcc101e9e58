import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { parseFilters } from './docker-http.ts';
import { dockerRoutePath } from './docker-server.ts';

test('versioned paths are stripped within 1.24–1.43 and refused outside with Docker messages', () => {
  assert.equal(dockerRoutePath('/v1.43/containers/json'), '/containers/json');
  assert.equal(dockerRoutePath('/v1.24/_ping'), '/_ping');
  assert.equal(dockerRoutePath('/version'), '/version');
  assert.throws(() => dockerRoutePath('/v1.50/info'), (err) => isMarinaError(err, 'Invalid') && /1\.50 is too new\. Maximum supported API version is 1\.43/.test(err.message));
  assert.throws(() => dockerRoutePath('/v1.12/info'), (err) => isMarinaError(err, 'Invalid') && /too old/.test(err.message));
});

test('filters take both JSON forms and refuse anything else', () => {
  assert.deepEqual([...parseFilters('{"label":["a=b"],"status":{"running":true}}')], [
    ['label', ['a=b']],
    ['status', ['running']],
  ]);
  assert.equal(parseFilters(null).size, 0);
  assert.throws(() => parseFilters('{"label":1}'), { code: 'Invalid' });
  assert.throws(() => parseFilters('nope'), { code: 'Invalid' });
});
