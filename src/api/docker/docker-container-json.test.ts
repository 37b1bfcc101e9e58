import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerRecord } from '../../engine/container-types.ts';
import { isMarinaError } from '../../errors.ts';
import type { NetworkRecord } from '../../network/network-types.ts';
import { containerFilter } from './docker-container-filters.ts';
import { dockerInspect, dockerListEntry } from './docker-container-json.ts';

const id = 'a'.repeat(64);
const network: NetworkRecord = {
  id: 'b'.repeat(64),
  name: 'proj_default',
  driver: 'bridge',
  bridge: 'br-test',
  subnet: '10.89.0.0/24',
  gateway: '10.89.0.1',
  internal: false,
  isDefault: false,
  labels: {},
  created: '2026-01-01T00:00:00Z',
};

function record(overrides: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    id,
    name: 'web',
    created: '2026-01-02T03:04:05.123456789Z',
    image: 'busybox',
    imageId: `sha256:${'c'.repeat(64)}`,
    request: {
      image: 'busybox',
      cmd: ['sleep', '600'],
      labels: { app: 'web' },
      networkMode: 'proj_default',
      networkAliases: ['web'],
      ports: [{ protocol: 'tcp', containerPort: 80, hostPort: 8080 }],
      mounts: [{ type: 'volume', name: 'data', target: '/data', readOnly: true }],
    },
    path: 'sleep',
    args: ['600'],
    env: ['PATH=/bin'],
    workingDir: '/',
    user: '',
    hostname: 'aaaaaaaaaaaa',
    mounts: [{ type: 'volume', name: 'data', source: '/var/lib/marina/volumes/data/_data', target: '/data', readOnly: true }],
    networks: [],
    ports: [],
    state: {
      status: 'created',
      running: false,
      pid: 0,
      exitCode: 0,
      oomKilled: false,
      error: '',
      startedAt: '',
      finishedAt: '',
      restartCount: 0,
    },
    logPath: '/var/lib/marina/containers/a/ctr.log',
    ...overrides,
  };
}

const running = (): ContainerRecord =>
  record({
    networks: [
      {
        networkId: network.id,
        containerId: id,
        ifName: 'eth0',
        hostIfName: 'veth0',
        ip: '10.89.0.5',
        prefixLength: 24,
        gateway: '10.89.0.1',
        mac: '02:42:0a:59:00:05',
        aliases: ['web', id.slice(0, 12)],
      },
    ],
    ports: [{ protocol: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080 }],
    state: { ...record().state, status: 'running', running: true, pid: 42, startedAt: '2026-01-02T03:04:06Z' },
  });

test('inspect of a created container: Docker zero times, the network it will join, its config', () => {
  const json = dockerInspect(record(), [network], {});
  assert.equal(json.Name, '/web');
  assert.equal(json.State.Status, 'created');
  assert.equal(json.State.StartedAt, '0001-01-01T00:00:00Z');
  assert.deepEqual(json.Config.Cmd, ['sleep', '600']);
  assert.equal(json.Config.Image, 'busybox');
  assert.deepEqual(json.Config.Labels, { app: 'web' });
  assert.deepEqual(json.Config.ExposedPorts, { '80/tcp': {} });
  assert.equal(json.HostConfig.NetworkMode, 'proj_default');
  assert.deepEqual(json.HostConfig.Binds, ['data:/data:ro']);
  assert.deepEqual(json.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  assert.deepEqual(json.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.deepEqual(json.NetworkSettings.Ports, {}, 'ports are known once it runs');
  assert.deepEqual(Object.keys(json.NetworkSettings.Networks), ['proj_default']);
  assert.equal(json.NetworkSettings.Networks.proj_default!.NetworkID, network.id);
  assert.equal(json.NetworkSettings.Networks.proj_default!.IPAddress, '');
  assert.deepEqual(json.Mounts[0], {
    Type: 'volume',
    Name: 'data',
    Source: '/var/lib/marina/volumes/data/_data',
    Destination: '/data',
    Driver: 'local',
    Mode: 'ro',
    RW: false,
    Propagation: '',
  });
});

test('inspect of a running container: addresses, bound ports and exposed ones, pid', () => {
  const json = dockerInspect(running(), [network], { ExposedPorts: { '9000/udp': {} } });
  assert.equal(json.State.Running, true);
  assert.equal(json.State.Pid, 42);
  assert.equal(json.NetworkSettings.IPAddress, '', 'Docker fills the top-level address from the default bridge only');
  assert.deepEqual(json.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '9000/udp': null });
  const endpoint = json.NetworkSettings.Networks.proj_default!;
  assert.equal(endpoint.IPAddress, '10.89.0.5');
  assert.equal(endpoint.IPPrefixLen, 24);
  assert.equal(endpoint.Gateway, '10.89.0.1');
  assert.equal(endpoint.MacAddress, '02:42:0a:59:00:05');
  assert.deepEqual(endpoint.Aliases, ['web', id.slice(0, 12)]);
});

test('on the default bridge the top-level NetworkSettings carry its address, as Docker does', () => {
  const bridge: NetworkRecord = { ...network, id: 'd'.repeat(64), name: 'bridge', isDefault: true };
  const onBridge = running();
  onBridge.request = { ...onBridge.request, networkMode: undefined, networkAliases: undefined };
  onBridge.networks = [{ ...onBridge.networks[0]!, networkId: bridge.id, aliases: [] }];
  const json = dockerInspect(onBridge, [bridge, network], undefined);
  assert.equal(json.NetworkSettings.IPAddress, '10.89.0.5');
  assert.equal(json.NetworkSettings.Gateway, '10.89.0.1');
  assert.equal(json.NetworkSettings.IPPrefixLen, 24);
  assert.equal(json.NetworkSettings.MacAddress, '02:42:0a:59:00:05');
  assert.equal(json.NetworkSettings.EndpointID, `${id}-eth0`);
  assert.deepEqual(Object.keys(json.NetworkSettings.Networks), ['bridge']);
});

test('a list entry has Docker names, unix Created and public ports', () => {
  const entry = dockerListEntry(
    {
      id,
      name: 'web',
      image: 'busybox',
      imageId: `sha256:${'c'.repeat(64)}`,
      command: 'sleep 600',
      created: '2026-01-02T03:04:05.123456789Z',
      status: 'running',
      statusText: 'Up 3 seconds',
      labels: { app: 'web' },
      ports: running().ports,
    },
    running(),
    [network],
  );
  assert.deepEqual(entry.Names, ['/web']);
  assert.equal(entry.Created, Math.floor(Date.parse('2026-01-02T03:04:05Z') / 1000));
  assert.equal(entry.State, 'running');
  assert.equal(entry.Status, 'Up 3 seconds');
  assert.deepEqual(entry.Ports, [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]);
  assert.equal(entry.HostConfig.NetworkMode, 'proj_default');
});

test('filters: labels, names, ids, status, ancestor, network, exited; unknown ones are refused', () => {
  const matches = (filters: Record<string, string[]>, r: ContainerRecord = record()) =>
    containerFilter(new Map(Object.entries(filters)), [network]).test(r, r.request.labels ?? {});
  assert.ok(matches({ label: ['app'] }));
  assert.ok(matches({ label: ['app=web'] }));
  assert.ok(!matches({ label: ['app=db'] }));
  assert.ok(!matches({ label: ['app=db', 'app'] }), 'every label given must match (compose lists a service this way)');
  assert.ok(matches({ label: ['app=web', 'app'] }));
  const withImageLabels = (filters: Record<string, string[]>) =>
    containerFilter(new Map(Object.entries(filters)), [network]).test(record(), { vendor: 'acme', app: 'web' });
  assert.ok(withImageLabels({ label: ['vendor=acme', 'app=web'] }), 'the labels given (the image’s too) are matched');
  assert.ok(!matches({ label: ['app=web'], name: ['db'] }), 'filters are AND-ed');
  assert.ok(matches({ name: ['^/we'] }));
  assert.ok(matches({ id: ['aaaa'] }));
  assert.ok(matches({ status: ['created'] }));
  assert.ok(!matches({ status: ['running'] }));
  assert.ok(matches({ ancestor: ['busybox:latest'] }));
  assert.ok(matches({ ancestor: ['docker.io/library/busybox'] }));
  assert.ok(matches({ ancestor: ['cccccc'] }));
  assert.ok(!matches({ ancestor: ['alpine'] }));
  assert.ok(matches({ network: ['proj_default'] }));
  assert.ok(!matches({ network: ['other'] }));
  const exited = record({ state: { ...record().state, status: 'exited', exitCode: 3 } });
  assert.ok(matches({ exited: ['3'] }, exited));
  assert.ok(!matches({ exited: ['0'] }, exited));
  assert.ok(containerFilter(new Map([['status', ['exited']]]), []).includesStopped);
  const bad: Record<string, string[]>[] = [{ color: ['red'] }, { status: ['sleeping'] }, { exited: ['x'] }];
  for (const filters of bad) {
    assert.throws(() => matches(filters), (err) => isMarinaError(err, 'Invalid'));
  }
});
