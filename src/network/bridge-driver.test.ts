import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBinding, checkEndpoint, checkNetwork, staleLinks } from './bridge-driver.ts';
import type { EndpointRecord, NetworkRecord } from './network-types.ts';

const network: NetworkRecord = {
  id: 'n1',
  name: 'front',
  driver: 'bridge',
  bridge: 'marina0',
  subnet: '10.88.0.0/16',
  gateway: '10.88.0.1',
  internal: false,
  isDefault: true,
  labels: {},
  created: '2026-01-01T00:00:00Z',
};
const endpoint: EndpointRecord = {
  networkId: 'n1',
  containerId: 'c1',
  ifName: 'eth0',
  hostIfName: 'va1b2c3abcdef0',
  ip: '10.88.0.2',
  prefixLength: 16,
  gateway: '10.88.0.1',
  mac: '02:42:0a:58:00:02',
  aliases: [],
};

test('stale links: own veths and bridges not desired, never anyone else’s', () => {
  const links = [
    { name: 'lo' },
    { name: 'eth0' },
    { name: 'marina0', alias: 'marina:a1b2c3' },
    { name: 'other0', alias: 'marina:a1b2c3' },
    { name: 'mra1b2c32' },
    { name: 'mrffffff2' },
    { name: 'va1b2c3abcdef0' },
    { name: 'va1b2c31111111' },
    { name: 'vffffff1111111' },
  ];
  const desired = { networks: [network], endpoints: [{ endpoint, netnsPath: '/proc/1/ns/net' }], ports: [] };
  assert.deepEqual(staleLinks('a1b2c3', links, desired), ['other0', 'mra1b2c32', 'va1b2c31111111']);
});

test('records that would inject into a command line are refused', () => {
  assert.doesNotThrow(() => checkNetwork(network));
  assert.throws(() => checkNetwork({ ...network, bridge: 'br0 type dummy' }), { code: 'Invalid' });
  assert.throws(() => checkNetwork({ ...network, bridge: 'a-name-far-too-long' }), { code: 'Invalid' });
  assert.throws(() => checkNetwork({ ...network, subnet: '10.88.0.0' }), /IPv4 CIDR/);
  assert.throws(() => checkNetwork({ ...network, gateway: '10.88.0.1\n-A FORWARD -j ACCEPT' }), {
    code: 'Invalid',
  });

  assert.doesNotThrow(() => checkEndpoint(endpoint));
  assert.throws(() => checkEndpoint({ ...endpoint, mac: '02:42:0a:58:00' }), /MAC/);
  assert.throws(() => checkEndpoint({ ...endpoint, prefixLength: 33 }), /prefix length/);

  const binding = { protocol: 'tcp' as const, containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080 };
  assert.doesNotThrow(() => checkBinding(binding));
  assert.throws(() => checkBinding({ ...binding, hostPort: 0 }), /host port/);
  assert.throws(() => checkBinding({ ...binding, hostIp: 'localhost' }), /host IP/);
});
