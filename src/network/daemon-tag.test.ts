import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daemonTagOf, hostVethName, isOwnUserBridge, isOwnVeth, userBridgeName } from './daemon-tag.ts';

test('the tag is the first 6 hex of sha256(root) and differs between roots', () => {
  assert.equal(daemonTagOf('/var/lib/marina'), daemonTagOf('/var/lib/marina'));
  assert.match(daemonTagOf('/var/lib/marina'), /^[0-9a-f]{6}$/);
  assert.notEqual(daemonTagOf('/var/lib/marina'), daemonTagOf('/tmp/marina-test-1'));
});

test('device names fit 15 characters and are recognised as own only for their tag', () => {
  const veth = hostVethName('a1b2c3', 'c'.repeat(64), 'n'.repeat(64));
  assert.match(veth, /^va1b2c3[0-9a-f]{7}$/);
  assert.ok(veth.length <= 15);
  assert.ok(isOwnVeth('a1b2c3', veth));
  assert.ok(!isOwnVeth('ffffff', veth));
  assert.notEqual(veth, hostVethName('a1b2c3', 'c'.repeat(64), 'm'.repeat(64)));

  assert.equal(userBridgeName('a1b2c3', 7), 'mra1b2c37');
  assert.ok(isOwnUserBridge('a1b2c3', 'mra1b2c37'));
  assert.ok(!isOwnUserBridge('a1b2c3', 'marina0'));
  assert.throws(() => userBridgeName('a1b2c3', 12345678), /15-character/);
  assert.throws(() => userBridgeName('nothex', 1), /6 lowercase hex/);
});
