import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeBatch, containerSideBatch, hostVethBatch, ipBatchCommand, parseLinks } from './ip-commands.ts';
import type { EndpointRecord, NetworkRecord } from './network-types.ts';

const network: NetworkRecord = {
  id: 'n1',
  name: 'front',
  driver: 'bridge',
  bridge: 'mra1b2c31',
  subnet: '10.89.3.0/24',
  gateway: '10.89.3.1',
  internal: false,
  isDefault: false,
  labels: {},
  created: '2026-01-01T00:00:00Z',
};
const endpoint: EndpointRecord = {
  networkId: 'n1',
  containerId: 'c1',
  ifName: 'eth0',
  hostIfName: 'va1b2c3abcdef0',
  ip: '10.89.3.2',
  prefixLength: 24,
  gateway: '10.89.3.1',
  mac: '02:42:0a:59:03:02',
  aliases: [],
};

test('a missing bridge is created; an existing one only gets alias, address and up', () => {
  assert.deepEqual(bridgeBatch(network, 'marina:a1b2c3', { exists: false }), [
    'link add name mra1b2c31 type bridge',
    'link set dev mra1b2c31 alias marina:a1b2c3',
    'addr replace 10.89.3.1/24 dev mra1b2c31',
    'link set dev mra1b2c31 up',
  ]);
  assert.ok(!bridgeBatch(network, 'marina:a1b2c3', { exists: true }).some((l) => l.startsWith('link add')));
});

test('the veth peer is created inside the namespace with its final name and MAC', () => {
  const lines = hostVethBatch('mra1b2c31', endpoint, '/proc/42/ns/net', { exists: false });
  assert.equal(
    lines[0],
    'link add name va1b2c3abcdef0 type veth peer name eth0 address 02:42:0a:59:03:02 netns /proc/42/ns/net',
  );
  assert.ok(lines.includes('link set dev va1b2c3abcdef0 master mra1b2c31 up'));
  assert.ok(
    !hostVethBatch('mra1b2c31', endpoint, '/proc/42/ns/net', { exists: true }).some((l) =>
      l.startsWith('link add'),
    ),
  );
});

test('the container side gets a default route only when asked', () => {
  assert.deepEqual(containerSideBatch(endpoint, { defaultRoute: true }), [
    'link set dev lo up',
    'addr replace 10.89.3.2/24 dev eth0',
    'link set dev eth0 up',
    'route replace default via 10.89.3.1 dev eth0',
  ]);
  assert.ok(!containerSideBatch(endpoint, { defaultRoute: false }).some((l) => l.startsWith('route')));
});

test('parseLinks keeps names and aliases', () => {
  const json = JSON.stringify([
    { ifname: 'lo' },
    { ifname: 'marina0', ifalias: 'marina:a1b2c3' },
    { nope: 1 },
  ]);
  assert.deepEqual(parseLinks(json), [{ name: 'lo' }, { name: 'marina0', alias: 'marina:a1b2c3' }]);
  assert.throws(() => parseLinks('{}'), /JSON array/);
});

test('a batch runs on the host, in a named namespace through ip -n, elsewhere through nsenter', () => {
  assert.deepEqual(ipBatchCommand(), ['ip', ['-batch', '-']]);
  assert.deepEqual(ipBatchCommand('/run/netns/marina-pod-ab12-uid'), [
    'ip',
    ['-n', 'marina-pod-ab12-uid', '-batch', '-'],
  ]);
  assert.deepEqual(ipBatchCommand('/proc/42/ns/net'), [
    'nsenter',
    ['--net=/proc/42/ns/net', 'ip', '-batch', '-'],
  ]);
  // Anything that is not plainly one name right under /run/netns/ is left to nsenter's path.
  for (const path of ['/run/netns/a/b', '/run/netns/', '/run/netns/..', '/run/netnsx']) {
    assert.equal(ipBatchCommand(path)[0], 'nsenter', path);
  }
});
