import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { hostnameFile, hostsFile, networkChoice } from './etc-files.ts';

test('hosts: loopback-only names without a network, the host file on the host network', () => {
  const hosts = hostsFile('private', '10.0.0.1 build-box\n');
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
  assert.doesNotMatch(hosts, /build-box/);
  assert.equal(hostsFile('host', '10.0.0.1 build-box\n'), '10.0.0.1 build-box\n');
  assert.equal(hostnameFile('abc'), 'abc\n');
});

test('network modes', () => {
  for (const m of [undefined, '', 'default', 'none']) assert.equal(networkChoice(m), 'private');
  assert.equal(networkChoice('host'), 'host');
  assert.throws(() => networkChoice('bridge'), (e) => isMarinaError(e, 'Unsupported') && e.message.includes('"bridge"'));
});
