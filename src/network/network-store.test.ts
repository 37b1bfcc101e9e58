import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateDb } from '../db/state-db.ts';
import { isMarinaError } from '../errors.ts';
import { NetworkStore, type StoredEndpoint } from './network-store.ts';
import type { NetworkRecord } from './network-types.ts';

function setup(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'marina-network-store-'));
  const path = join(root, 'state.db');
  let db = new StateDb(path);
  t.after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });
  const reopen = () => {
    db.close();
    db = new StateDb(path);
    return new NetworkStore(db);
  };
  return { store: new NetworkStore(db), reopen };
}

function network(name: string, id: string, subnet = '10.89.0.0/24'): NetworkRecord {
  return {
    id,
    name,
    driver: 'bridge',
    bridge: `br-${name}`,
    subnet,
    gateway: subnet.replace(/0\/\d+$/, '1'),
    internal: false,
    isDefault: false,
    labels: { team: name },
    created: '2025-01-01T00:00:00.000Z',
  };
}

function lease(networkId: string, containerId: string, ip: string, ifName = 'eth0'): StoredEndpoint {
  return {
    endpoint: {
      networkId,
      containerId,
      ifName,
      hostIfName: `v${containerId}${networkId}`.slice(0, 15),
      ip,
      prefixLength: 24,
      gateway: '10.89.0.1',
      mac: '02:42:0a:59:00:02',
      aliases: [containerId],
    },
    containerName: `name-${containerId}`,
    active: true,
  };
}

const binding = (hostIp: string, hostPort: number, protocol: 'tcp' | 'udp' = 'tcp') => ({ protocol, containerPort: 80, hostIp, hostPort });

test('networks round-trip and are found by id, name or unique id prefix', (t) => {
  const { store, reopen } = setup(t);
  const web = network('web', 'aa11');
  store.insertNetwork(web);
  store.insertNetwork(network('db', 'aa22', '10.89.1.0/24'));
  assert.deepEqual(reopen().findNetwork('web'), web);
  const store2 = reopen();
  assert.equal(store2.findNetwork('aa11').name, 'web');
  assert.equal(store2.findNetwork('aa2').name, 'db');
  assert.throws(() => store2.findNetwork('aa'), (err) => isMarinaError(err, 'Conflict') && err.message.includes('several networks'));
  assert.throws(() => store2.findNetwork('nope'), (err) => isMarinaError(err, 'NotFound') && err.message.startsWith('network nope not found'));
  assert.deepEqual(
    store2.networks().map((n) => n.name),
    ['db', 'web'],
  );
});

test('a taken network name is a Conflict and changes nothing', (t) => {
  const { store } = setup(t);
  store.insertNetwork(network('web', 'aa11'));
  assert.throws(
    () => store.insertNetwork(network('web', 'bb22', '10.89.5.0/24')),
    (err) => isMarinaError(err, 'Conflict') && err.message === 'network with name web already exists: choose another name',
  );
  assert.equal(store.networks().length, 1);
});

test('an address is leased once per network; a re-put of the same lease keeps its address', (t) => {
  const { store, reopen } = setup(t);
  store.insertNetwork(network('web', 'n1'));
  store.putEndpoint(lease('n1', 'c1', '10.89.0.2'));
  assert.throws(() => store.putEndpoint(lease('n1', 'c2', '10.89.0.2')), /UNIQUE/);
  store.putEndpoint({ ...lease('n1', 'c1', '10.89.0.2', 'eth1'), active: false });
  const again = reopen();
  assert.deepEqual([...again.leasedAddresses('n1')], ['10.89.0.2']);
  const [stored] = again.endpointsOfContainer('c1');
  assert.equal(stored?.endpoint.ifName, 'eth1');
  assert.equal(stored?.active, false);
  assert.equal(stored?.endpoint.prefixLength, 24);
  assert.equal(stored?.endpoint.gateway, '10.89.0.1');
  assert.deepEqual(again.activeEndpoints(), []);
});

test('endpoints of a container come in interface order', (t) => {
  const { store } = setup(t);
  for (let i = 0; i < 11; i++) {
    store.insertNetwork(network(`n${i}`, `id${i}`, `10.89.${i}.0/24`));
    store.putEndpoint(lease(`id${i}`, 'c1', `10.89.${i}.2`, `eth${i}`));
  }
  assert.deepEqual(
    store.endpointsOfContainer('c1').map((e) => e.endpoint.ifName),
    Array.from({ length: 11 }, (_, i) => `eth${i}`),
  );
});

test('0.0.0.0 collides with any address on the same port and protocol; tcp and udp do not', (t) => {
  const { store } = setup(t);
  store.insertNetwork(network('web', 'n1'));
  store.putEndpoint(lease('n1', 'c1', '10.89.0.2'));
  store.putEndpoint(lease('n1', 'c2', '10.89.0.3'));
  store.insertPortBinding({ containerId: 'c1', networkId: 'n1', binding: binding('127.0.0.1', 8080) });
  const conflictOn = (hostIp: string, port: number) => () =>
    store.insertPortBinding({ containerId: 'c2', networkId: 'n1', binding: binding(hostIp, port) });
  assert.throws(conflictOn('0.0.0.0', 8080), (err) => isMarinaError(err, 'Conflict') && err.message.includes('already published by container c1'));
  assert.throws(conflictOn('127.0.0.1', 8080), (err) => isMarinaError(err, 'Conflict'));
  store.insertPortBinding({ containerId: 'c2', networkId: 'n1', binding: binding('10.0.0.5', 8080) });
  store.insertPortBinding({ containerId: 'c2', networkId: 'n1', binding: binding('0.0.0.0', 8080, 'udp') });
  assert.throws(
    () => store.insertPortBinding({ containerId: 'c1', networkId: 'n1', binding: binding('127.0.0.2', 8080, 'udp') }),
    (err) => isMarinaError(err, 'Conflict'),
  );
  assert.deepEqual(
    store.portBindingsOfContainer('c2').map((b) => `${b.binding.hostIp}:${b.binding.hostPort}/${b.binding.protocol}`),
    ['10.0.0.5:8080/tcp', '0.0.0.0:8080/udp'],
  );
});

test('freeing a lease frees its port bindings; removing a network frees the leases on it', (t) => {
  const { store } = setup(t);
  store.insertNetwork(network('web', 'n1'));
  store.insertNetwork(network('db', 'n2', '10.89.1.0/24'));
  store.putEndpoint(lease('n1', 'c1', '10.89.0.2'));
  store.putEndpoint(lease('n2', 'c1', '10.89.1.2', 'eth1'));
  store.insertPortBinding({ containerId: 'c1', networkId: 'n1', binding: binding('0.0.0.0', 80) });
  store.deleteEndpoint('c1', 'n1');
  assert.deepEqual(store.allPortBindings(), []);
  store.deleteNetwork('n2');
  assert.deepEqual(store.endpointsOfContainer('c1'), []);
});

test('deletePortBindings drops one network or all of a container', (t) => {
  const { store } = setup(t);
  store.insertNetwork(network('web', 'n1'));
  store.insertNetwork(network('db', 'n2', '10.89.1.0/24'));
  store.putEndpoint(lease('n1', 'c1', '10.89.0.2'));
  store.putEndpoint(lease('n2', 'c1', '10.89.1.2', 'eth1'));
  store.insertPortBinding({ containerId: 'c1', networkId: 'n1', binding: binding('0.0.0.0', 80) });
  store.insertPortBinding({ containerId: 'c1', networkId: 'n2', binding: binding('0.0.0.0', 81) });
  store.deletePortBindings('c1', 'n2');
  assert.deepEqual(
    store.allPortBindings().map((b) => b.binding.hostPort),
    [80],
  );
  store.deletePortBindings('c1');
  assert.deepEqual(store.allPortBindings(), []);
});
