import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { parseListenAddress } from './registry-setup.ts';

test('registry listen addresses are HOST:PORT, IPv6 in brackets', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
  assert.deepEqual(parseListenAddress('localhost:443'), { host: 'localhost', port: 443 });
  assert.deepEqual(parseListenAddress('[::1]:5000'), { host: '::1', port: 5000 });
  for (const bad of ['5000', '127.0.0.1', '127.0.0.1:70000', ':5000', 'a:b', '::1:5000']) {
    assert.throws(
      () => parseListenAddress(bad),
      (err) => isMarinaError(err, 'Invalid'),
      bad,
    );
  }
});
