/**
 * The embedded DNS on real sockets, all on loopback: servers on 127.0.0.1 (and a random 127.x.y.1 for
 * the manager, as it binds on a network's gateway) with ephemeral ports, queried by a dns-packet client,
 * forwarding to fake upstreams on 127.0.0.1 that record what reaches them. No query leaves the machine:
 * every server gets its upstreams from this file, never from the host's resolv.conf.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import {
  type DecodedPacket,
  decode,
  encode,
  type Packet,
  type RecordType,
  RECURSION_DESIRED,
  TRUNCATED_RESPONSE,
} from 'dns-packet';
import { DnsFrameReader, framed } from '../src/network/dns-framing.ts';
import { DnsManager, type DnsLogger, NetworkDnsServer } from '../src/network/dns-server.ts';
import type { DnsUpstream } from '../src/network/dns-upstreams.ts';
import type { NetworkRecord } from '../src/network/network-types.ts';

type Reply = DecodedPacket & { rcode: string };

const quietLogger: DnsLogger = { info: () => {}, warn: () => {}, debug: () => {} };
const upstreamAnswer = '192.0.2.77';
/** Long enough for a loaded CI machine; a reply that never comes fails the test here instead of hanging it. */
const clientTimeoutMs = 10_000;

interface FakeUpstream extends DnsUpstream {
  /** `transport name` of each query received, in order. */
  received: string[];
}

/**
 * A resolver on 127.0.0.1 (UDP and TCP on one port) that answers every A query with 192.0.2.77.
 * `silent`: receives and never answers (a dead resolver). `truncateUdp`: UDP answers carry TC and no records.
 */
async function fakeUpstream(
  t: TestContext,
  behaviour: { silent?: boolean; truncateUdp?: boolean } = {},
): Promise<FakeUpstream> {
  const received: string[] = [];
  const answerTo = (query: DecodedPacket, truncated: boolean): Buffer => {
    const question = query.questions?.[0];
    const answers =
      truncated || question === undefined
        ? []
        : [{ type: 'A' as const, name: question.name, ttl: 60, data: upstreamAnswer }];
    return encode({
      type: 'response',
      id: query.id ?? 0,
      flags: RECURSION_DESIRED | (truncated ? TRUNCATED_RESPONSE : 0),
      questions: query.questions ?? [],
      answers,
    });
  };
  const udp = createSocket('udp4');
  udp.on('message', (message, peer) => {
    const query = decode(message);
    received.push(`udp ${query.questions?.[0]?.name}`);
    if (!behaviour.silent) udp.send(answerTo(query, behaviour.truncateUdp === true), peer.port, peer.address);
  });
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  const port = udp.address().port;
  const tcp = createServer((connection) => {
    const reader = new DnsFrameReader();
    connection.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) {
        const query = decode(message);
        received.push(`tcp ${query.questions?.[0]?.name}`);
        if (!behaviour.silent) connection.write(framed(answerTo(query, false)));
      }
    });
    connection.on('error', () => {});
  });
  tcp.listen(port, '127.0.0.1');
  await once(tcp, 'listening');
  t.after(() => {
    udp.close();
    tcp.close();
  });
  return { host: '127.0.0.1', port, received };
}

/** A 127.0.0.1 port nothing listens on: its queries are refused at once by the kernel. */
async function closedPort(): Promise<DnsUpstream> {
  const probe = createSocket('udp4');
  probe.bind(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return { host: '127.0.0.1', port };
}

async function startServer(
  t: TestContext,
  options: { upstreams: DnsUpstream[]; names?: Map<string, string[]>; forwarding?: boolean },
): Promise<NetworkDnsServer> {
  const server = new NetworkDnsServer({
    address: '127.0.0.1',
    port: 0,
    upstreams: () => options.upstreams,
    forwarding: options.forwarding ?? true,
    upstreamTimeoutMs: 300,
    logger: quietLogger,
  });
  server.setNames(options.names ?? new Map());
  await server.start();
  t.after(() => server.stop());
  return server;
}

let nextId = 1;
function queryOf(name: string, type: RecordType): Packet {
  return { type: 'query', id: nextId++, flags: RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] };
}

/** Sends raw datagrams from one socket and returns the first reply datagram. */
async function udpExchange(server: DnsUpstream, ...datagrams: Buffer[]): Promise<Reply> {
  const socket = createSocket('udp4');
  try {
    socket.connect(server.port, server.host);
    await once(socket, 'connect');
    for (const datagram of datagrams) socket.send(datagram);
    const [message] = (await once(socket, 'message', { signal: AbortSignal.timeout(clientTimeoutMs) })) as [
      Buffer,
    ];
    return decode(message) as Reply;
  } finally {
    socket.close();
  }
}

async function askUdp(server: DnsUpstream, name: string, type: RecordType = 'A'): Promise<Reply> {
  const query = queryOf(name, type);
  const reply = await udpExchange(server, encode(query));
  assert.equal(reply.id, query.id, 'reply id matches the query');
  return reply;
}

/** Sends raw frames (length-prefixed) on one TCP connection and returns the first reply. */
async function tcpExchange(server: DnsUpstream, ...messages: Buffer[]): Promise<Reply> {
  const socket: Socket = connect(server.port, server.host);
  try {
    await once(socket, 'connect');
    for (const message of messages) socket.write(framed(message));
    const reader = new DnsFrameReader();
    const signal = AbortSignal.timeout(clientTimeoutMs);
    for (;;) {
      const [chunk] = (await once(socket, 'data', { signal })) as [Buffer];
      const [reply] = reader.push(chunk);
      if (reply !== undefined) return decode(reply) as Reply;
    }
  } finally {
    socket.destroy();
  }
}

const addresses = (reply: Reply) => (reply.answers ?? []).map((a) => ('data' in a ? a.data : undefined));

test('known names are answered from the table over UDP and TCP, case-insensitively, without asking upstream', async (t) => {
  const upstream = await fakeUpstream(t);
  const names = new Map([
    ['web', ['10.250.7.2', '10.250.7.3']],
    ['0123456789ab', ['10.250.7.2']],
  ]);
  const server = (await startServer(t, { upstreams: [upstream], names })).endpoint();

  const a = await askUdp(server, 'web');
  assert.equal(a.rcode, 'NOERROR');
  assert.ok(a.flag_aa && a.flag_rd && a.flag_ra);
  assert.deepEqual(a.questions, [{ name: 'web', type: 'A', class: 'IN' }]);
  assert.deepEqual(addresses(a), ['10.250.7.2', '10.250.7.3']);
  assert.deepEqual(addresses(await askUdp(server, 'WeB.')), ['10.250.7.2', '10.250.7.3']);
  assert.deepEqual(addresses(await askUdp(server, '0123456789AB')), ['10.250.7.2']);

  const overTcp = await tcpExchange(server, encode(queryOf('Web', 'A')));
  assert.deepEqual(addresses(overTcp), ['10.250.7.2', '10.250.7.3']);

  const aaaa = await askUdp(server, 'web', 'AAAA');
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.deepEqual(aaaa.answers, []);

  assert.equal((await askUdp(server, 'not-a-container')).rcode, 'NXDOMAIN');
  assert.deepEqual(upstream.received, [], 'nothing of the network namespace went upstream');
});

test('other names are forwarded to the upstream and its answer relayed (UDP and TCP)', async (t) => {
  const upstream = await fakeUpstream(t);
  const server = (
    await startServer(t, { upstreams: [upstream], names: new Map([['web', ['10.250.7.2']]]) })
  ).endpoint();

  const reply = await askUdp(server, 'www.example.test');
  assert.equal(reply.rcode, 'NOERROR');
  assert.deepEqual(addresses(reply), [upstreamAnswer]);
  const overTcp = await tcpExchange(server, encode(queryOf('api.example.test', 'A')));
  assert.deepEqual(addresses(overTcp), [upstreamAnswer]);
  assert.deepEqual(upstream.received, ['udp www.example.test', 'tcp api.example.test']);
});

test('a dead upstream is skipped for the next one; all dead is SERVFAIL', async (t) => {
  const dead = await fakeUpstream(t, { silent: true });
  const alive = await fakeUpstream(t);
  const refusing = await closedPort();

  const failover = (await startServer(t, { upstreams: [refusing, dead, alive] })).endpoint();
  assert.deepEqual(addresses(await askUdp(failover, 'www.example.test')), [upstreamAnswer]);
  assert.deepEqual(dead.received, ['udp www.example.test']);
  assert.deepEqual(alive.received, ['udp www.example.test']);

  const allDead = (await startServer(t, { upstreams: [refusing, dead] })).endpoint();
  const reply = await askUdp(allDead, 'lost.example.test');
  assert.equal(reply.rcode, 'SERVFAIL');
  assert.deepEqual(reply.questions, [{ name: 'lost.example.test', type: 'A', class: 'IN' }]);
  assert.equal((await tcpExchange(allDead, encode(queryOf('lost.example.test', 'A')))).rcode, 'SERVFAIL');
});

test('a truncated UDP answer from upstream is retried over TCP and the full answer relayed', async (t) => {
  const upstream = await fakeUpstream(t, { truncateUdp: true });
  const server = (await startServer(t, { upstreams: [upstream] })).endpoint();
  const reply = await askUdp(server, 'big.example.test');
  assert.equal(reply.flag_tc, false);
  assert.deepEqual(addresses(reply), [upstreamAnswer]);
  assert.deepEqual(upstream.received, ['udp big.example.test', 'tcp big.example.test']);
});

test('a server never forwards to itself', async (t) => {
  const upstream = await fakeUpstream(t);
  let self: DnsUpstream | undefined;
  const server = new NetworkDnsServer({
    address: '127.0.0.1',
    port: 0,
    // Itself first: a loop would bounce the query through itself until the timeouts, each hop then asking the upstream.
    upstreams: () => (self === undefined ? [upstream] : [self, upstream]),
    upstreamTimeoutMs: 300,
    logger: quietLogger,
  });
  await server.start();
  t.after(() => server.stop());
  self = server.endpoint();
  assert.deepEqual(addresses(await askUdp(self, 'loop.example.test')), [upstreamAnswer]);
  assert.deepEqual(upstream.received, ['udp loop.example.test'], 'asked once, by the server itself');
});

test('table updates take effect for the next query', async (t) => {
  const upstream = await fakeUpstream(t);
  const dns = await startServer(t, { upstreams: [upstream], names: new Map([['web', ['10.250.7.2']]]) });
  const server = dns.endpoint();
  assert.deepEqual(addresses(await askUdp(server, 'web')), ['10.250.7.2']);
  dns.setNames(new Map([['db', ['10.250.7.9']]]));
  assert.equal((await askUdp(server, 'web')).rcode, 'NXDOMAIN');
  assert.deepEqual(addresses(await askUdp(server, 'db')), ['10.250.7.9']);
});

test('malformed packets and responses get no reply and do not stop the server', async (t) => {
  const upstream = await fakeUpstream(t);
  const server = (
    await startServer(t, { upstreams: [upstream], names: new Map([['web', ['10.250.7.2']]]) })
  ).endpoint();
  const garbage = Buffer.from('this is not a DNS message');
  const truncatedHeader = Buffer.from([0x12, 0x34, 0x01]);
  const aResponse = encode({ ...queryOf('web', 'A'), type: 'response' });
  const query = queryOf('web', 'A');

  const udpReply = await udpExchange(server, garbage, truncatedHeader, aResponse, encode(query));
  assert.equal(udpReply.id, query.id, 'the first reply is the one to the valid query');
  assert.deepEqual(addresses(udpReply), ['10.250.7.2']);

  const tcpQuery = queryOf('web', 'A');
  const tcpReply = await tcpExchange(server, garbage, aResponse, encode(tcpQuery));
  assert.equal(tcpReply.id, tcpQuery.id);
  assert.deepEqual(upstream.received, []);
});

function network(overrides: Partial<NetworkRecord>): NetworkRecord {
  return {
    id: 'd'.repeat(64),
    name: 'dns-test',
    driver: 'bridge',
    bridge: 'mrdnstest',
    subnet: '10.250.7.0/24',
    gateway: '127.0.0.1',
    internal: false,
    isDefault: false,
    labels: {},
    created: new Date(0).toISOString(),
    ...overrides,
  };
}

test('DnsManager: a server per user network on its gateway, updated in place, none for the default network', async (t) => {
  const upstream = await fakeUpstream(t);
  const manager = new DnsManager({
    upstreams: [upstream],
    logger: quietLogger,
    port: 0,
    upstreamTimeoutMs: 300,
  });
  t.after(() => manager.stopAll());
  // The gateway of a made-up network: an address of its own on loopback, like a bridge's on the host.
  const gateway = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.1`;
  const app = network({ id: 'a'.repeat(64), name: 'app', gateway });
  const locked = network({ id: 'b'.repeat(64), name: 'locked', gateway: '127.0.0.1', internal: true });

  await manager.update(app, new Map([['web', ['10.250.7.2']]]));
  const endpoint = manager.endpointOf(app.id);
  assert.equal(endpoint?.host, gateway);
  assert.ok(endpoint);
  assert.deepEqual(addresses(await askUdp(endpoint, 'web')), ['10.250.7.2']);
  assert.deepEqual(addresses(await askUdp(endpoint, 'www.example.test')), [upstreamAnswer]);

  await manager.update(app, new Map([['web', ['10.250.7.5']]]));
  assert.deepEqual(manager.endpointOf(app.id), endpoint, 'same server, new table');
  assert.deepEqual(addresses(await askUdp(endpoint, 'web')), ['10.250.7.5']);

  await manager.update(locked, new Map([['db', ['10.250.8.2']]]));
  const lockedEndpoint = manager.endpointOf(locked.id);
  assert.ok(lockedEndpoint);
  assert.deepEqual(addresses(await askUdp(lockedEndpoint, 'db')), ['10.250.8.2']);
  const refused = await askUdp(lockedEndpoint, 'www.example.test');
  assert.equal(refused.rcode, 'REFUSED', 'an internal network does not forward');
  assert.deepEqual(upstream.received, ['udp www.example.test']);

  await manager.update(network({ id: 'c'.repeat(64), isDefault: true }), new Map([['web', ['10.88.0.2']]]));
  assert.equal(manager.endpointOf('c'.repeat(64)), undefined);

  await manager.stop(app.id);
  assert.equal(manager.endpointOf(app.id), undefined);
  // Its port is free again: a new socket can take it.
  const rebind = createSocket('udp4');
  rebind.bind(endpoint.port, endpoint.host);
  await once(rebind, 'listening');
  await new Promise<void>((resolve) => rebind.close(() => resolve()));
});

test('a server on an address the host does not have fails with Unavailable', async () => {
  // 192.0.2.0/24 is TEST-NET-1: never assigned to this host.
  const server = new NetworkDnsServer({
    address: '192.0.2.1',
    port: 0,
    upstreams: () => [],
    logger: quietLogger,
  });
  await assert.rejects(
    server.start(),
    (err: Error & { code?: string }) => err.code === 'Unavailable' && err.message.includes('192.0.2.1'),
  );
});
