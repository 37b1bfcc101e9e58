import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import type { NetworkRecord } from '../../network/network-types.ts';
import type { VolumeRecord } from '../../volume/volume-service.ts';
import {
  dockerNetwork,
  dockerVolume,
  networkMatches,
  parseDockerNetworkConnect,
  parseDockerNetworkCreate,
  parseDockerVolumeCreate,
  volumeMatches,
} from './docker-network-volume-format.ts';

const network: NetworkRecord = {
  id: 'ab'.repeat(32),
  name: 'proj_default',
  driver: 'bridge',
  bridge: 'mar1',
  subnet: '10.89.3.0/24',
  gateway: '10.89.3.1',
  internal: false,
  isDefault: false,
  labels: { 'com.docker.compose.project': 'proj' },
  created: '2025-01-02T03:04:05.123456789Z',
};

const volume: VolumeRecord = {
  name: 'proj_data',
  driver: 'local',
  mountpoint: '/var/lib/marina/volumes/proj_data/_data',
  createdAt: '2025-01-02T03:04:05Z',
  labels: { 'com.docker.compose.volume': 'data' },
  anonymous: false,
};

test('network create: the docker CLI body becomes a NetworkService request', () => {
  const body = {
    Name: 'n1',
    Driver: 'bridge',
    Scope: '',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.90.0.0/24', Gateway: '10.90.0.1' }] },
    Internal: true,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: {},
    Labels: { a: 'b' },
    CheckDuplicate: true,
  };
  assert.deepEqual(parseDockerNetworkCreate(body), {
    request: { name: 'n1', subnet: '10.90.0.0/24', gateway: '10.90.0.1', internal: true, labels: { a: 'b' } },
    warning: '',
  });
  // compose's minimal body
  assert.deepEqual(parseDockerNetworkCreate({ Name: 'p_default', CheckDuplicate: true, Labels: { x: 'y' }, Attachable: true }).request, {
    name: 'p_default',
    labels: { x: 'y' },
  });
  assert.match(parseDockerNetworkCreate({ Name: 'n', Options: { 'com.docker.network.bridge.name': 'br9' } }).warning, /bridge\.name/);
});

test('network create refuses what Marina cannot do, with the error codes Docker uses', () => {
  const refused = (body: unknown, code: string, pattern: RegExp) =>
    assert.throws(() => parseDockerNetworkCreate(body), (err) => isMarinaError(err) && err.code === code && pattern.test(err.message));
  refused({ Name: 'n', Driver: 'overlay' }, 'NotFound', /plugin "overlay" not found/);
  refused({ Name: 'n', EnableIPv6: true }, 'Unsupported', /IPv6/);
  refused({ Name: 'n', IPAM: { Config: [{ Subnet: '10.1.0.0/24' }, { Subnet: '10.2.0.0/24' }] } }, 'Unsupported', /one --subnet/);
  refused({ Name: 'n', IPAM: { Config: [{ Subnet: '10.1.0.0/16', IPRange: '10.1.2.0/24' }] } }, 'Unsupported', /--ip-range/);
  refused({ Name: 'n', IPAM: { Config: [{ Gateway: '10.1.0.1' }] } }, 'Invalid', /--subnet/);
  refused({ Driver: 'bridge' }, 'Invalid', /Name/);
});

test('network connect takes the aliases of EndpointConfig', () => {
  assert.deepEqual(parseDockerNetworkConnect({ Container: 'c1', EndpointConfig: { Aliases: ['web', 'abc'] } }), {
    container: 'c1',
    aliases: ['web', 'abc'],
  });
  assert.deepEqual(parseDockerNetworkConnect({ Container: 'c1', EndpointConfig: null }), { container: 'c1', aliases: [] });
  assert.throws(() => parseDockerNetworkConnect({}), { code: 'Invalid' });
});

test('a network in Docker shape, with its containers and their address/prefix', () => {
  const listed = dockerNetwork(network);
  assert.equal(listed.Id, network.id);
  assert.equal(listed.Scope, 'local');
  assert.deepEqual(listed.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: '10.89.3.0/24', Gateway: '10.89.3.1' }] });
  assert.deepEqual(listed.Containers, {});
  assert.deepEqual(listed.Options, {});
  assert.deepEqual(listed.Labels, network.labels);
  const cid = 'cd'.repeat(32);
  const inspected = dockerNetwork({ ...network, containers: { [cid]: { name: 'web', ip: '10.89.3.2', mac: '02:42:0a:59:03:02', aliases: [] } } });
  const entry = (inspected.Containers as Record<string, Record<string, string>>)[cid]!;
  assert.equal(entry.Name, 'web');
  assert.equal(entry.IPv4Address, '10.89.3.2/24');
  assert.equal(entry.MacAddress, '02:42:0a:59:03:02');
  assert.match(entry.EndpointID!, /^[0-9a-f]{64}$/);
});

test('network filters: name substring, id prefix, labels all, driver, type; unknown keys refused', () => {
  const f = (o: Record<string, string[]>) => new Map(Object.entries(o));
  assert.ok(networkMatches(f({}), network));
  assert.ok(networkMatches(f({ name: ['proj'] }), network));
  assert.ok(!networkMatches(f({ name: ['other'] }), network));
  assert.ok(networkMatches(f({ name: ['other', 'default'] }), network));
  assert.ok(networkMatches(f({ id: ['abab'] }), network));
  assert.ok(networkMatches(f({ label: ['com.docker.compose.project=proj'] }), network));
  assert.ok(!networkMatches(f({ label: ['com.docker.compose.project=proj', 'x'] }), network));
  assert.ok(networkMatches(f({ driver: ['bridge'], type: ['custom'] }), network));
  assert.ok(!networkMatches(f({ type: ['builtin'] }), network));
  assert.throws(() => networkMatches(f({ colour: ['red'] }), network), { code: 'Invalid' });
});

test('volume create: name, labels, the local driver only and no options; null fields as docker-py sends them', () => {
  assert.deepEqual(parseDockerVolumeCreate({ Name: 'v1', Driver: 'local', DriverOpts: {}, Labels: { a: 'b' } }), {
    name: 'v1',
    labels: { a: 'b' },
  });
  assert.deepEqual(parseDockerVolumeCreate({ Name: 'v1', Driver: null, DriverOpts: null }), { name: 'v1', labels: undefined });
  assert.deepEqual(parseDockerVolumeCreate({}), { name: undefined, labels: undefined });
  assert.throws(() => parseDockerVolumeCreate({ Driver: 'nfs' }), { code: 'NotFound' });
  assert.throws(() => parseDockerVolumeCreate({ DriverOpts: { type: 'tmpfs' } }), (err) => isMarinaError(err, 'Unsupported') && /type/.test(err.message));
});

test('a volume in Docker shape, and its filters', () => {
  assert.deepEqual(dockerVolume(volume), {
    Name: 'proj_data',
    Driver: 'local',
    Mountpoint: volume.mountpoint,
    CreatedAt: volume.createdAt,
    Labels: volume.labels,
    Scope: 'local',
    Options: {},
  });
  const f = (o: Record<string, string[]>) => new Map(Object.entries(o));
  assert.ok(volumeMatches(f({ name: ['data'] }), volume, false));
  assert.ok(!volumeMatches(f({ name: ['x'] }), volume, false));
  assert.ok(volumeMatches(f({ label: ['com.docker.compose.volume'] }), volume, false));
  assert.ok(volumeMatches(f({ dangling: ['true'] }), volume, false));
  assert.ok(!volumeMatches(f({ dangling: ['true'] }), volume, true));
  assert.ok(volumeMatches(f({ dangling: ['0'] }), volume, true));
  assert.throws(() => volumeMatches(f({ size: ['1'] }), volume, true), { code: 'Invalid' });
});
