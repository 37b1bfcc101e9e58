/**
 * The bridge driver against the real kernel: network namespaces made with `ip netns add` stand in for
 * containers. Every device, namespace and rule carries a tag unique to this run, is removed at the end
 * even when a test fails, and only loopback, the host's own address and the test's namespaces are
 * ever sent traffic.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { BridgeDriver } from '../src/network/bridge-driver.ts';
import { hostVethName, userBridgeName } from '../src/network/daemon-tag.ts';
import { parseOwnRules, restoreInput } from '../src/network/iptables.ts';
import type { DesiredNetworkState } from '../src/network/network-driver.ts';
import type { EndpointRecord, NetworkRecord, PortBinding } from '../src/network/network-types.ts';
import { runCommand } from '../src/run-command.ts';

const tag = randomBytes(3).toString('hex');
const logger = pino({ level: 'silent' });
const octet2 = 200 + ((randomBytes(1)[0] ?? 0) % 51);
const octet3 = (randomBytes(1)[0] ?? 0) % 250;

function network(n: number, bridge: string, internal = false): NetworkRecord {
  const prefix = `10.${octet2}.${octet3 + n}`;
  return {
    id: `${tag}net${n}`.padEnd(64, '0'),
    name: `net${n}`,
    driver: 'bridge',
    bridge,
    subnet: `${prefix}.0/24`,
    gateway: `${prefix}.1`,
    internal,
    isDefault: n === 0,
    labels: {},
    created: new Date().toISOString(),
  };
}

// net0 uses a name outside the tag's pattern (as the default `--bridge` does), so it is known by its alias.
const net0 = network(0, `mb${tag}`);
const net1 = network(1, userBridgeName(tag, 1));
const internalNet = network(2, userBridgeName(tag, 2), true);

interface Box {
  netns: string;
  path: string;
  endpoint: EndpointRecord;
  network: NetworkRecord;
}

function box(name: string, net: NetworkRecord, host: number): Box {
  const containerId = `${tag}${name}`.padEnd(64, '0');
  const ip = net.gateway.replace(/\.1$/, `.${host}`);
  const netns = `mt${tag}${name}`;
  return {
    netns,
    path: `/run/netns/${netns}`,
    network: net,
    endpoint: {
      networkId: net.id,
      containerId,
      ifName: 'eth0',
      hostIfName: hostVethName(tag, containerId, net.id),
      ip,
      prefixLength: 24,
      gateway: net.gateway,
      mac: `02:42:0a:${octet2.toString(16)}:${(octet3 + host).toString(16).padStart(2, '0')}:${host.toString(16).padStart(2, '0')}`,
      aliases: [],
    },
  };
}

const a = box('a', net0, 2);
const b = box('b', net0, 3);
const c = box('c', net1, 2);
const d = box('d', internalNet, 2);
const boxes = [a, b, c, d];

async function sh(cmd: string, args: string[]): Promise<string> {
  const r = await runCommand(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const ping = (from: Box, ip: string) =>
  runCommand('ip', ['netns', 'exec', from.netns, 'busybox', 'ping', '-c1', '-W1', ip]);

/** Lines of iptables-save that belong to this run, counters dropped (they change with traffic). */
async function ownRules(): Promise<string[]> {
  return (await sh('iptables-save', []))
    .split('\n')
    .filter((l) => l.includes(tag) && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
}

async function ownLinks(): Promise<string[]> {
  return (
    (await sh('ip', ['-br', 'link']))
      .split('\n')
      // `veth@ifN`: N is the peer's index in its namespace, which a re-created pair may change.
      .map((l) => (l.split(/\s+/)[0] ?? '').split('@')[0] ?? '')
      .filter((name) => name.includes(tag))
      .sort()
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The host's own address on its uplink (the default route's device), never one of the test's bridges. */
async function hostAddress(): Promise<string> {
  const dev = (await sh('ip', ['-4', 'route', 'show', 'default'])).match(/ dev (\S+)/)?.[1];
  assert.ok(dev, 'the host has a default route');
  const ip = (await sh('ip', ['-4', '-o', 'addr', 'show', 'dev', dev])).match(
    / inet (\d+\.\d+\.\d+\.\d+)\//,
  )?.[1];
  assert.ok(ip, `${dev} has an IPv4 address`);
  return ip;
}

const servers: ChildProcess[] = [];

/** A server inside a namespace: TCP answers `hi from <name>` and closes; UDP answers `pong <payload>`. */
async function serveIn(target: Box, tcp: number, udp: number): Promise<void> {
  const script = `
    const net = require('node:net'); const dgram = require('node:dgram');
    const tcp = net.createServer((s) => s.end('hi from ${target.netns}\\n'));
    const udp = dgram.createSocket('udp4');
    udp.on('message', (m, from) => udp.send('pong ' + m, from.port, from.address));
    tcp.listen(${tcp}, '0.0.0.0', () => udp.bind(${udp}, '0.0.0.0', () => console.log('ready')));`;
  const child = spawn('ip', ['netns', 'exec', target.netns, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`server in ${target.netns} exited ${code}`)));
  });
}

function tcpRequest(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: 5000 });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('end', () => resolve(data));
    socket.on('timeout', () => socket.destroy(new Error(`no answer from ${host}:${port}`)));
    socket.on('error', reject);
  });
}

async function udpRequest(host: string, port: number, payload: string): Promise<string> {
  const socket = createSocket('udp4');
  try {
    // UDP may drop the very first datagram while ARP resolves; a few tries, each waiting for its answer.
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 1000);
        socket.once('message', (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
      });
      socket.send(payload, port, host);
      const got = await answer;
      if (got !== undefined) return got;
    }
    throw new Error(`no UDP answer from ${host}:${port}`);
  } finally {
    socket.close();
  }
}

const tcpPort = 80;
const udpPort = 53;
let tcpBinding: PortBinding;
let udpBinding: PortBinding;

function desired(): DesiredNetworkState {
  return {
    networks: [net0, net1, internalNet],
    endpoints: boxes.map((x) => ({ endpoint: x.endpoint, netnsPath: x.path })),
    ports: [
      { endpoint: a.endpoint, binding: tcpBinding },
      { endpoint: a.endpoint, binding: udpBinding },
    ],
  };
}

/** Removes whatever this run left, from the kernel's view alone (works after a failed test too). */
async function forceCleanup(): Promise<void> {
  for (const child of servers) child.kill('SIGKILL');
  for (const x of boxes) await runCommand('ip', ['netns', 'del', x.netns]);
  for (const name of await ownLinks().catch(() => [])) await runCommand('ip', ['link', 'del', name]);
  const input = restoreInput(tag, { chains: [], current: parseOwnRules(await sh('iptables-save', []), tag) });
  if (input !== '') await runCommand('iptables-restore', ['-w', '--noflush'], { input });
}

describe('bridge driver on the kernel', { concurrency: false }, () => {
  let driver: BridgeDriver;

  before(async () => {
    tcpBinding = { protocol: 'tcp', containerPort: tcpPort, hostIp: '0.0.0.0', hostPort: await freePort() };
    udpBinding = { protocol: 'udp', containerPort: udpPort, hostIp: '0.0.0.0', hostPort: await freePort() };
    for (const x of boxes) await sh('ip', ['netns', 'add', x.netns]);
    driver = new BridgeDriver({ daemonTag: tag, logger });
    for (const net of [net0, net1, internalNet]) await driver.ensureNetwork(net);
    for (const x of boxes) await driver.attach(x.network, x.endpoint, x.path);
  });

  after(async () => {
    await forceCleanup();
    assert.deepEqual(await ownLinks(), [], 'no device of this run is left');
    assert.deepEqual(await ownRules(), [], 'no rule of this run is left');
  });

  test('an endpoint has its address, MAC, loopback and default route inside the namespace', async () => {
    const addr = await sh('ip', ['netns', 'exec', a.netns, 'ip', '-o', 'addr', 'show']);
    assert.match(addr, new RegExp(`eth0\\s+inet ${a.endpoint.ip.replaceAll('.', '\\.')}/24`));
    assert.match(addr, /lo\s+inet 127\.0\.0\.1\/8/);
    assert.match(
      await sh('ip', ['netns', 'exec', a.netns, 'ip', 'link', 'show', 'eth0']),
      new RegExp(a.endpoint.mac),
    );
    assert.match(
      await sh('ip', ['netns', 'exec', a.netns, 'ip', 'route']),
      new RegExp(`^default via ${net0.gateway} dev eth0`, 'm'),
    );
    assert.match(
      await sh('ip', ['link', 'show', a.endpoint.hostIfName]),
      new RegExp(`master ${net0.bridge} .*state UP`),
    );
  });

  test('two endpoints on one network reach each other', async () => {
    assert.equal((await ping(a, b.endpoint.ip)).code, 0, `a pings b at ${b.endpoint.ip}`);
    assert.equal((await ping(b, a.endpoint.ip)).code, 0, `b pings a at ${a.endpoint.ip}`);
  });

  test('two networks cannot reach each other, though each reaches its own gateway', async () => {
    assert.equal((await ping(c, net1.gateway)).code, 0, 'c reaches its own gateway');
    assert.notEqual((await ping(c, a.endpoint.ip)).code, 0, 'c (net1) must not reach a (net0)');
    assert.notEqual((await ping(a, c.endpoint.ip)).code, 0, 'a (net0) must not reach c (net1)');
  });

  test('an internal network has no default route and its bridge may not forward out', async () => {
    assert.equal((await ping(d, internalNet.gateway)).code, 0, 'd reaches its bridge');
    assert.doesNotMatch(await sh('ip', ['netns', 'exec', d.netns, 'ip', 'route']), /^default/m);
    const rules = await ownRules();
    assert.ok(rules.includes(`-A MARINA-${tag}-FWD -i ${internalNet.bridge} -j DROP`), rules.join('\n'));
    assert.ok(
      !rules.some((r) => r.includes(`-s ${internalNet.subnet}`) && r.includes('MASQUERADE')),
      'no masquerade out of it',
    );
    assert.notEqual((await ping(d, a.endpoint.ip)).code, 0, 'd must not reach another network');
  });

  test('published TCP and UDP ports reach a server in the namespace via 127.0.0.1 and the host address', async () => {
    await serveIn(a, tcpPort, udpPort);
    await driver.publish(net0, a.endpoint, tcpBinding);
    await driver.publish(net0, a.endpoint, udpBinding);
    const host = await hostAddress();
    for (const address of ['127.0.0.1', host]) {
      assert.equal(
        await tcpRequest(address, tcpBinding.hostPort),
        `hi from ${a.netns}\n`,
        `TCP via ${address}`,
      );
      assert.equal(
        await udpRequest(address, udpBinding.hostPort, address),
        `pong ${address}`,
        `UDP via ${address}`,
      );
    }
    // Another container on the same network, through the host's address.
    const fromB = await runCommand('ip', [
      'netns',
      'exec',
      b.netns,
      'busybox',
      'nc',
      '-w',
      '3',
      host,
      String(tcpBinding.hostPort),
    ]);
    assert.equal(fromB.stdout, `hi from ${a.netns}\n`, fromB.stderr);

    await driver.unpublish(net0, a.endpoint, udpBinding);
    assert.ok(
      !(await ownRules()).some((r) => r.includes(`--dport ${udpBinding.hostPort}`)),
      'unpublish removes the rule',
    );
    await driver.publish(net0, a.endpoint, udpBinding);
  });

  test('reconcile after a crash leaves exactly the desired devices and rules', async () => {
    const rulesBefore = await ownRules();
    const linksBefore = await ownLinks();
    // What a crash can leave: a veth and a bridge of this daemon nobody wants, a duplicated jump, a stale chain.
    const staleVeth = `v${tag}dead000`;
    await sh('ip', ['link', 'add', 'name', staleVeth, 'type', 'veth', 'peer', 'name', `p${tag}dead`]);
    await sh('ip', ['link', 'add', 'name', userBridgeName(tag, 9), 'type', 'bridge']);
    await sh('iptables', [
      '-w',
      '-A',
      'FORWARD',
      '-m',
      'comment',
      '--comment',
      `marina:${tag}`,
      '-j',
      `MARINA-${tag}-FWD`,
    ]);
    await sh('iptables', ['-w', '-t', 'nat', '-N', `MARINA-${tag}-OLD`]);
    await sh('iptables', [
      '-w',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-m',
      'comment',
      '--comment',
      `marina:${tag}`,
      '-j',
      `MARINA-${tag}-OLD`,
    ]);
    // And a piece of the desired state missing: b's veth.
    await sh('ip', ['link', 'del', b.endpoint.hostIfName]);
    assert.notDeepEqual(await ownRules(), rulesBefore);

    const restarted = new BridgeDriver({ daemonTag: tag, logger });
    await restarted.reconcile(desired());
    driver = restarted;

    assert.deepEqual(await ownRules(), rulesBefore);
    assert.deepEqual(await ownLinks(), linksBefore);
    assert.equal((await ping(a, b.endpoint.ip)).code, 0, 'b is re-attached');
    assert.equal(await tcpRequest('127.0.0.1', tcpBinding.hostPort), `hi from ${a.netns}\n`);
  });

  test('detach removes the host veth and is a no-op the second time', async () => {
    await driver.detach(b.endpoint);
    await driver.detach(b.endpoint);
    assert.ok(!(await ownLinks()).some((l) => l.startsWith(b.endpoint.hostIfName)));
  });

  test('reconciling to nothing removes every device and rule of this daemon', async () => {
    await driver.reconcile({ networks: [], endpoints: [], ports: [] });
    assert.deepEqual(await ownRules(), []);
    assert.deepEqual(await ownLinks(), []);
  });
});
