import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateDb } from '../db/state-db.ts';
import { isMarinaError } from '../errors.ts';
import type { DesiredNetworkState, NetworkDriver } from './network-driver.ts';
import { NetworkStore } from './network-store.ts';
import { type NetworkDns, NetworkServiceImpl, type NetworkServiceOptions } from './network-service-impl.ts';
import type { AttachRequest, NetworkRecord } from './network-types.ts';

const tag = 'abc123';

/** Records what the service asks of the kernel side; `failOn` makes one call fail. */
class RecordingDriver implements NetworkDriver {
  calls: string[] = [];
  desired: DesiredNetworkState | undefined;
  failOn: string | undefined;
  private record(call: string): Promise<void> {
    this.calls.push(call);
    return call === this.failOn ? Promise.reject(new Error(`${call} failed`)) : Promise.resolve();
  }
  ensureNetwork(n: NetworkRecord) {
    return this.record(`ensure ${n.name}`);
  }
  removeNetwork(n: NetworkRecord) {
    return this.record(`remove ${n.name}`);
  }
  attach(n: NetworkRecord, e: { ifName: string; ip: string }) {
    return this.record(`attach ${n.name} ${e.ifName} ${e.ip}`);
  }
  detach(e: { ip: string }) {
    return this.record(`detach ${e.ip}`);
  }
  publish(_n: NetworkRecord, e: { ip: string }, b: { containerPort: number }) {
    return this.record(`publish ${e.ip}:${b.containerPort}`);
  }
  unpublish(_n: NetworkRecord, e: { ip: string }, b: { containerPort: number }) {
    return this.record(`unpublish ${e.ip}:${b.containerPort}`);
  }
  reconcile(desired: DesiredNetworkState) {
    this.desired = desired;
    return this.record('reconcile');
  }
}

class RecordingDns implements NetworkDns {
  /** By network name: the names each running server answers. */
  names = new Map<string, Map<string, string[]>>();
  private readonly nameOfId = new Map<string, string>();
  async update(network: NetworkRecord, names: Map<string, string[]>) {
    this.nameOfId.set(network.id, network.name);
    this.names.set(network.name, names);
  }
  async stop(networkId: string) {
    this.names.delete(this.nameOfId.get(networkId) ?? '');
  }
}

function setup(t: { after: (fn: () => unknown) => void }, overrides: Partial<NetworkServiceOptions> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'marina-network-service-'));
  const dbs: StateDb[] = [];
  const driver = new RecordingDriver();
  const dns = new RecordingDns();
  const services: NetworkServiceImpl[] = [];
  const open = (more: Partial<NetworkServiceOptions> = {}) => {
    const db = new StateDb(join(root, 'state.db'));
    dbs.push(db);
    const service = new NetworkServiceImpl({
      db,
      driver,
      dns,
      defaultNetwork: { name: 'bridge', bridge: 'mtest0', subnet: '10.88.0.0/16' },
      pool: '10.89.0.0/16',
      daemonTag: tag,
      readHostRoutes: async () => 'default via 10.0.2.2 dev eth0\n10.89.0.0/24 dev eth9 scope link\n',
      ...overrides,
      ...more,
    });
    services.push(service);
    return service;
  };
  t.after(async () => {
    for (const s of services) for (const id of ['c1', 'c2', 'c3']) await s.detach(`${id}`.padEnd(64, '0')).catch(() => {});
    for (const db of dbs) db.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { service: open(), open, driver, dns, lastDb: () => dbs.at(-1)! };
}

const cid = (n: string) => n.padEnd(64, '0');

function attachRequest(id: string, networks: string[], ports: AttachRequest['ports'] = []): AttachRequest {
  return {
    containerId: cid(id),
    containerName: `name-${id}`,
    netnsPath: `/proc/1/ns/net`,
    networks: networks.map((nameOrId) => ({ nameOrId, aliases: [`alias-${id}`] })),
    ports,
  };
}

test('the default network is made once and kept in step with the daemon flags', async (t) => {
  const { service, open } = setup(t);
  const [bridge] = await service.list();
  assert.deepEqual(
    { name: bridge?.name, bridge: bridge?.bridge, subnet: bridge?.subnet, gateway: bridge?.gateway, isDefault: bridge?.isDefault },
    { name: 'bridge', bridge: 'mtest0', subnet: '10.88.0.0/16', gateway: '10.88.0.1', isDefault: true },
  );
  assert.equal((await open().list())[0]?.id, bridge?.id);
  const moved = await open({ defaultNetwork: { name: 'bridge', bridge: 'mtest1', subnet: '10.77.0.0/24' } }).inspect('bridge');
  assert.deepEqual([moved.id, moved.bridge, moved.gateway], [bridge?.id, 'mtest1', '10.77.0.1']);
  assert.throws(() => open({ pool: '10.89.0.0/33' }), (err) => isMarinaError(err, 'Invalid') && err.message.includes('network pool'));
});

test('create carves the first /24 clear of networks and host routes, and names bridges per daemon', async (t) => {
  const { service, driver, dns } = setup(t);
  const a = await service.create({ name: 'a', labels: { x: 'y' } });
  const b = await service.create({ name: 'b' });
  assert.deepEqual([a.subnet, a.gateway, a.bridge], ['10.89.1.0/24', '10.89.1.1', `mr${tag}0`]);
  assert.deepEqual([b.subnet, b.bridge], ['10.89.2.0/24', `mr${tag}1`]);
  assert.deepEqual(driver.calls, ['ensure a', 'ensure b']);
  assert.deepEqual([...dns.names.keys()], ['a', 'b']);
  const c = await service.create({ name: 'c', subnet: '172.30.0.0/16', gateway: '172.30.9.9', internal: true });
  assert.deepEqual([c.subnet, c.gateway, c.internal], ['172.30.0.0/16', '172.30.9.9', true]);
  assert.deepEqual((await service.inspect(a.id.slice(0, 10))).labels, { x: 'y' });
});

test('bad create requests are clear errors and change nothing', async (t) => {
  const { service, driver } = setup(t);
  await service.create({ name: 'a', subnet: '10.50.0.0/24' });
  const cases: [Parameters<NetworkServiceImpl['create']>[0], string, string][] = [
    [{ name: 'a' }, 'Conflict', 'network with name a already exists'],
    [{ name: 'bridge' }, 'Conflict', 'network with name bridge already exists'],
    [{ name: 'host' }, 'Conflict', 'network name host is reserved'],
    [{ name: 'b c' }, 'Invalid', 'invalid network name "b c"'],
    [{ name: 'b', subnet: '10.1.2.0/33' }, 'Invalid', 'invalid subnet "10.1.2.0/33": the prefix length must be 8 to 30'],
    [{ name: 'b', subnet: '10.50.0.0/16' }, 'Conflict', 'subnet 10.50.0.0/16 overlaps with network a (10.50.0.0/24)'],
    [{ name: 'b', subnet: '10.88.5.0/24' }, 'Conflict', 'overlaps with network bridge'],
    [{ name: 'b', subnet: '10.51.0.0/24', gateway: '10.52.0.1' }, 'Invalid', 'not inside the subnet 10.51.0.0/24'],
    [{ name: 'b', gateway: '10.51.0.1' }, 'Invalid', 'needs --subnet'],
  ];
  for (const [request, code, fragment] of cases) {
    await assert.rejects(service.create(request), (err) => isMarinaError(err) && err.code === code && err.message.includes(fragment), fragment);
  }
  assert.deepEqual(
    (await service.list()).map((n) => n.name),
    ['a', 'bridge'],
  );
  assert.deepEqual(driver.calls, ['ensure a']);
});

test('a driver failure at create leaves no record', async (t) => {
  const { service, driver } = setup(t);
  // Not a hex string: `inspect` also finds networks by id prefix, and the default network's random id
  // starts with `a` one time in sixteen.
  driver.failOn = 'ensure net-x';
  await assert.rejects(service.create({ name: 'net-x' }), /ensure net-x failed/);
  await assert.rejects(service.inspect('net-x'), (err) => isMarinaError(err, 'NotFound'));
  assert.deepEqual(driver.calls, ['ensure net-x', 'remove net-x']);
});

test('attach leases addresses in order, publishes ports, feeds DNS, and gives the user network as nameserver', async (t) => {
  const { service, driver, dns } = setup(t);
  const web = await service.create({ name: 'web' });
  const result = await service.attach(
    attachRequest('c1', ['bridge', 'web'], [
      { protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1' },
      { protocol: 'udp', containerPort: 53, hostIp: '127.0.0.1' },
    ]),
  );
  const [eth0, eth1] = result.endpoints;
  assert.deepEqual(
    [eth0?.ifName, eth0?.ip, eth0?.prefixLength, eth0?.gateway, eth0?.mac],
    ['eth0', '10.88.0.2', 16, '10.88.0.1', '02:42:0a:58:00:02'],
  );
  assert.deepEqual([eth1?.ifName, eth1?.ip, eth1?.networkId], ['eth1', '10.89.1.2', web.id]);
  assert.deepEqual(eth1?.aliases, ['name-c1', cid('c1').slice(0, 12), 'alias-c1']);
  assert.match(eth1?.hostIfName ?? '', new RegExp(`^v${tag}[0-9a-f]{7}$`));
  assert.deepEqual(result.nameservers, ['10.89.1.1']);
  assert.ok(result.ports.every((p) => p.hostPort > 0 && p.hostIp === '127.0.0.1'));
  const byPort = (ports: { containerPort: number }[]) => ports.toSorted((x, y) => x.containerPort - y.containerPort);
  assert.deepEqual(byPort(service.ports(cid('c1'))), byPort(result.ports));
  assert.deepEqual(service.endpoints(cid('c1')), result.endpoints);
  assert.deepEqual(driver.calls.slice(-4), ['attach bridge eth0 10.88.0.2', 'attach web eth1 10.89.1.2', 'publish 10.88.0.2:80', 'publish 10.88.0.2:53']);
  assert.deepEqual(dns.names.get('web')?.get('alias-c1'), ['10.89.1.2']);
  assert.equal(dns.names.has('bridge'), false);

  const second = await service.attach(attachRequest('c2', ['web']));
  assert.equal(second.endpoints[0]?.ip, '10.89.1.3');
  const inspected = await service.inspect('web');
  assert.deepEqual(Object.keys(inspected.containers).sort(), [cid('c1'), cid('c2')]);
  assert.equal(inspected.containers[cid('c2')]?.name, 'name-c2');
  assert.deepEqual((await service.attach(attachRequest('c3', ['bridge']))).nameservers, []);
});

test('renaming a container renames it in its endpoints and in DNS; other aliases stay', async (t) => {
  const { service, dns } = setup(t);
  await service.create({ name: 'web' });
  await service.attach(attachRequest('c1', ['web']));
  const renamed = await service.renameContainer(cid('c1'), 'renamed');
  assert.deepEqual(renamed[0]?.aliases, ['renamed', cid('c1').slice(0, 12), 'alias-c1']);
  const names = dns.names.get('web');
  assert.ok(names?.has('renamed'));
  assert.equal(names?.has('name-c1'), false);
  assert.ok(names?.has('alias-c1'));
  assert.equal((await service.inspect('web')).containers[cid('c1')]?.name, 'renamed');
});

test('a host port in use fails attach before any record or kernel change', async (t) => {
  const { service, driver } = setup(t);
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => new Promise((resolve) => squatter.close(resolve)));
  const port = (squatter.address() as { port: number }).port;
  await assert.rejects(
    service.attach(attachRequest('c1', ['bridge'], [{ protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: port }])),
    (err) => isMarinaError(err, 'Conflict') && err.message === `port ${port}/tcp is already in use on 127.0.0.1: choose another host port or stop what uses it`,
  );
  assert.deepEqual(driver.calls, []);
  assert.deepEqual(service.endpoints(cid('c1')), []);
  assert.deepEqual((await service.attach(attachRequest('c2', ['bridge']))).endpoints[0]?.ip, '10.88.0.2');
});

test('a driver failure during attach undoes leases, bindings, veths and reservations', async (t) => {
  const { service, driver } = setup(t);
  driver.failOn = 'publish 10.88.0.2:80';
  await assert.rejects(
    service.attach(attachRequest('c1', ['bridge'], [{ protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1' }])),
    /publish 10.88.0.2:80 failed/,
  );
  assert.ok(driver.calls.includes('detach 10.88.0.2'));
  assert.deepEqual(service.ports(cid('c1')), []);
  assert.deepEqual(service.endpoints(cid('c1')), []);
  driver.failOn = undefined;
  const again = await service.attach(attachRequest('c2', ['bridge']));
  assert.equal(again.endpoints[0]?.ip, '10.88.0.2');
});

test('bad attach requests change nothing', async (t) => {
  const { service, driver } = setup(t);
  await service.create({ name: 'closed', internal: true });
  const cases: [AttachRequest, string, string][] = [
    [attachRequest('c1', ['nope']), 'NotFound', 'network nope not found'],
    [attachRequest('c1', ['bridge', 'bridge']), 'Invalid', 'network bridge is given twice'],
    [attachRequest('c1', []), 'Invalid', 'at least one network'],
    [attachRequest('c1', ['closed'], [{ protocol: 'tcp', containerPort: 80 }]), 'Invalid', 'internal network closed'],
    [attachRequest('c1', ['bridge'], [{ protocol: 'tcp', containerPort: 80, hostIp: 'localhost' }]), 'Invalid', 'cannot publish on "localhost"'],
    [attachRequest('c1', ['bridge'], [{ protocol: 'tcp', containerPort: 0 }]), 'Invalid', 'container port 0 is out of range'],
  ];
  for (const [request, code, fragment] of cases) {
    await assert.rejects(service.attach(request), (err) => isMarinaError(err) && err.code === code && err.message.includes(fragment), fragment);
  }
  assert.deepEqual(driver.calls, ['ensure closed']);
});

test('detach keeps the lease for the next start; release frees it', async (t) => {
  const { service, driver, dns } = setup(t);
  await service.create({ name: 'web' });
  const first = await service.attach(attachRequest('c1', ['web'], [{ protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1' }]));
  await service.detach(cid('c1'));
  assert.deepEqual(service.ports(cid('c1')), []);
  assert.deepEqual(service.endpoints(cid('c1')), []);
  assert.deepEqual(dns.names.get('web')?.size, 0);
  assert.ok(driver.calls.includes('unpublish 10.89.1.2:80') && driver.calls.includes('detach 10.89.1.2'));
  assert.equal((await service.attach(attachRequest('c2', ['web']))).endpoints[0]?.ip, '10.89.1.3');
  assert.equal((await service.attach(attachRequest('c1', ['web']))).endpoints[0]?.ip, first.endpoints[0]?.ip);
  await service.release(cid('c1'));
  assert.equal((await service.attach(attachRequest('c3', ['web']))).endpoints[0]?.ip, '10.89.1.2');
});

test('remove refuses the default network and networks in use; prune removes unused user networks', async (t) => {
  const { service, driver, dns } = setup(t);
  await service.create({ name: 'used' });
  await service.create({ name: 'idle' });
  await service.attach(attachRequest('c1', ['used']));
  await assert.rejects(service.remove('bridge'), (err) => isMarinaError(err, 'Forbidden'));
  await assert.rejects(
    service.remove('used'),
    (err) => isMarinaError(err, 'Conflict') && err.message.startsWith('error while removing network: network used has active endpoints (name-c1)'),
  );
  await assert.rejects(service.remove('nope'), (err) => isMarinaError(err, 'NotFound'));
  assert.deepEqual(await service.prune(), ['idle']);
  assert.equal(dns.names.has('idle'), false);
  assert.ok(driver.calls.includes('remove idle'));
  await service.detach(cid('c1'));
  await service.remove('used');
  assert.deepEqual(
    (await service.list()).map((n) => n.name),
    ['bridge'],
  );
});

test('connect adds the next interface; disconnect frees it and its DNS names', async (t) => {
  const { service, dns } = setup(t);
  await service.create({ name: 'web' });
  await service.create({ name: 'db' });
  await service.attach(attachRequest('c1', ['web']));
  const endpoint = await service.connect('db', cid('c1'), 'name-c1', '/proc/1/ns/net', ['database']);
  assert.deepEqual([endpoint.ifName, endpoint.ip], ['eth1', '10.89.2.2']);
  assert.deepEqual(dns.names.get('db')?.get('database'), ['10.89.2.2']);
  await assert.rejects(service.connect('db', cid('c1'), 'name-c1', '/proc/1/ns/net', []), (err) => isMarinaError(err, 'Conflict'));
  await service.disconnect('db', cid('c1'));
  assert.equal(dns.names.get('db')?.has('database'), false);
  assert.deepEqual(
    service.endpoints(cid('c1')).map((e) => e.ifName),
    ['eth0'],
  );
  await assert.rejects(service.disconnect('db', cid('c1')), (err) => isMarinaError(err, 'NotFound'));
});

test('reconcile keeps running containers whole, re-takes their ports, and drops the ports of stopped ones', async (t) => {
  const { service, open, driver, dns, lastDb } = setup(t);
  const web = await service.create({ name: 'web' });
  await service.attach(attachRequest('c1', ['web']));
  await service.attach(attachRequest('c2', ['web']));
  // What a killed marinad leaves: bindings in the database, no socket holding them.
  const store = new NetworkStore(lastDb());
  const freePort = await new Promise<number>((resolve) => {
    const probe = createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const binding = { protocol: 'tcp' as const, containerPort: 80, hostIp: '127.0.0.1', hostPort: freePort };
  store.insertPortBinding({ containerId: cid('c1'), networkId: web.id, binding });
  store.insertPortBinding({ containerId: cid('c2'), networkId: web.id, binding: { ...binding, protocol: 'udp' } });

  const restarted = open();
  await restarted.reconcile([{ containerId: cid('c1'), netnsPath: '/proc/42/ns/net' }]);
  assert.deepEqual(restarted.ports(cid('c1')), [binding]);
  assert.deepEqual(restarted.ports(cid('c2')), []);
  assert.deepEqual(restarted.endpoints(cid('c2')), []);
  assert.equal(await canListenTcp(freePort), false);
  assert.deepEqual(
    driver.desired?.endpoints.map((e) => [e.endpoint.ip, e.netnsPath]),
    [['10.89.1.2', '/proc/42/ns/net']],
  );
  assert.deepEqual(
    driver.desired?.ports.map((p) => [p.endpoint.ip, p.binding.hostPort]),
    [['10.89.1.2', freePort]],
  );
  assert.deepEqual(
    driver.desired?.networks.map((n) => n.name),
    ['bridge', 'web'],
  );
  assert.deepEqual([...(dns.names.get('web')?.keys() ?? [])], ['name-c1', cid('c1').slice(0, 12), 'alias-c1']);
  // The stopped container keeps its lease for its next start.
  assert.equal((await restarted.attach(attachRequest('c3', ['web']))).endpoints[0]?.ip, '10.89.1.4');
  assert.equal((await restarted.attach(attachRequest('c2', ['web']))).endpoints[0]?.ip, '10.89.1.3');
});

function canListenTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

test('events: create, connect at attach and connect(), disconnect at detach and disconnect(), destroy; none for failures', async (t) => {
  const events: string[] = [];
  const { service, driver } = setup(t, {
    onEvent: (action, network, containerId) =>
      events.push([action, network.name, network.driver, containerId?.slice(0, 2)].filter(Boolean).join(' ')),
  });
  await service.create({ name: 'web' });
  await service.create({ name: 'db' });
  await service.attach(attachRequest('c1', ['web', 'bridge']));
  await service.connect('db', cid('c1'), 'name-c1', '/proc/1/ns/net', []);
  await service.disconnect('db', cid('c1'));
  await service.detach(cid('c1'));
  await service.remove('db');
  assert.deepEqual(events, [
    'create web bridge',
    'create db bridge',
    'connect web bridge c1',
    'connect bridge bridge c1',
    'connect db bridge c1',
    'disconnect db bridge c1',
    'disconnect web bridge c1',
    'disconnect bridge bridge c1',
    'destroy db bridge',
  ]);
  events.length = 0;
  driver.failOn = 'ensure bad';
  await assert.rejects(service.create({ name: 'bad' }));
  // c1 keeps its lease on web after detach, so c2 gets the next address.
  driver.failOn = 'attach web eth0 10.89.1.3';
  await assert.rejects(service.attach(attachRequest('c2', ['web'])));
  await assert.rejects(service.remove('bridge'), (err) => isMarinaError(err, 'Forbidden'));
  assert.deepEqual(events, []);
});
