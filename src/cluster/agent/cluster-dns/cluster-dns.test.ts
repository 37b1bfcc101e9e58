import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { type TestContext, test } from 'node:test';
import {
  type Answer,
  type DecodedPacket,
  decode,
  encode,
  RECURSION_DESIRED,
  type RecordType,
} from 'dns-packet';
import { DnsFrameReader, framed } from '../../../network/dns-framing.ts';
import type { DnsLogger } from '../../../network/dns-server.ts';
import type { DnsUpstream } from '../../../network/dns-upstreams.ts';
import type { ServiceView } from '../service-view.ts';
import { ClusterDns } from './cluster-dns.ts';
import { endpoint, fixedView, service, slice } from './test-service-lookups.ts';

type Reply = DecodedPacket & { rcode: string };

const quietLogger: DnsLogger = { info: () => {}, warn: () => {}, debug: () => {} };
const upstreamAnswer = '192.0.2.99';

const web = service('default', 'web', {
  clusterIP: '10.96.0.10',
  ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
});
const db = service('default', 'db', { clusterIP: 'None' });
/** Enough endpoints that the A answer outgrows a plain UDP reply (512 bytes). */
const dbSlice = slice(
  db,
  Array.from({ length: 40 }, (_, i) => endpoint(`10.88.1.${i + 1}`, true)),
);
const view = fixedView([web, db], [dbSlice]);

/** An upstream resolver on loopback that answers every A question with `upstreamAnswer`. */
async function fakeUpstream(t: TestContext): Promise<DnsUpstream> {
  const socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    const query = decode(message);
    const answers = (query.questions ?? []).map((q) => ({
      type: 'A' as const,
      name: q.name,
      ttl: 60,
      data: upstreamAnswer,
    }));
    socket.send(
      encode({ type: 'response', id: query.id ?? 0, questions: query.questions ?? [], answers }),
      peer.port,
      peer.address,
    );
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  t.after(() => socket.close());
  return { host: '127.0.0.1', port: socket.address().port };
}

async function startClusterDns(t: TestContext, serviceView: ServiceView): Promise<DnsUpstream> {
  const dns = new ClusterDns({
    view: serviceView,
    address: '127.0.0.1',
    port: 0,
    upstreams: [await fakeUpstream(t)],
    upstreamTimeoutMs: 1000,
    logger: quietLogger,
  });
  await dns.start();
  t.after(() => dns.stop());
  return dns.endpoint();
}

let nextId = 1;
function query(name: string, type: RecordType): Buffer {
  return encode({
    type: 'query',
    id: nextId++,
    flags: RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  });
}

async function askUdp(server: DnsUpstream, name: string, type: RecordType = 'A'): Promise<Reply> {
  const socket = createSocket('udp4');
  try {
    socket.connect(server.port, server.host);
    await once(socket, 'connect');
    socket.send(query(name, type));
    const [message] = (await once(socket, 'message')) as [Buffer];
    return decode(message) as Reply;
  } finally {
    socket.close();
  }
}

async function askTcp(server: DnsUpstream, name: string, type: RecordType = 'A'): Promise<Reply> {
  const socket = connect({ host: server.host, port: server.port });
  try {
    await once(socket, 'connect');
    socket.write(framed(query(name, type)));
    const reader = new DnsFrameReader();
    for await (const chunk of socket) {
      const [message] = reader.push(chunk as Buffer);
      if (message !== undefined) return decode(message) as Reply;
    }
    throw new Error('connection closed without a reply');
  } finally {
    socket.destroy();
  }
}

/** Each record as `[type, name, ttl, data]` (no OPT records in these replies). */
const records = (list: readonly Answer[] | undefined) =>
  (list ?? []).map((r) => [r.type, r.name, 'ttl' in r ? r.ttl : undefined, 'data' in r ? r.data : undefined]);
const addresses = (reply: Reply) => records(reply.answers).map((r) => r[3]);

test('a Service name over UDP: its clusterIP, authoritative, TTL 5', async (t) => {
  const server = await startClusterDns(t, view);
  const reply = await askUdp(server, 'web.default.svc.cluster.local');
  assert.equal(reply.rcode, 'NOERROR');
  assert.ok(reply.flag_aa && reply.flag_ra);
  assert.deepEqual(records(reply.answers), [['A', 'web.default.svc.cluster.local', 5, '10.96.0.10']]);
});

test('SRV over TCP: the named port, with the target address as an additional record', async (t) => {
  const server = await startClusterDns(t, view);
  const reply = await askTcp(server, '_http._tcp.web.default.svc.cluster.local', 'SRV');
  assert.equal(reply.rcode, 'NOERROR');
  assert.deepEqual(addresses(reply), [
    { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
  ]);
  assert.deepEqual(records(reply.additionals), [['A', 'web.default.svc.cluster.local', 5, '10.96.0.10']]);
});

test('an unknown name under the cluster domain is NXDOMAIN on both transports; an AAAA is empty NOERROR', async (t) => {
  const server = await startClusterDns(t, view);
  assert.equal((await askUdp(server, 'nope.default.svc.cluster.local')).rcode, 'NXDOMAIN');
  assert.equal((await askTcp(server, 'nope.default.svc.cluster.local')).rcode, 'NXDOMAIN');
  const aaaa = await askUdp(server, 'web.default.svc.cluster.local', 'AAAA');
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.deepEqual(aaaa.answers, []);
});

test('names outside the cluster domain are forwarded to the upstreams', async (t) => {
  const server = await startClusterDns(t, view);
  assert.deepEqual(addresses(await askUdp(server, 'example.com')), [upstreamAnswer]);
});

test('a headless Service too big for UDP: truncated over UDP, whole over TCP', async (t) => {
  const server = await startClusterDns(t, view);
  const udp = await askUdp(server, 'db.default.svc.cluster.local');
  assert.ok(udp.flag_tc);
  assert.deepEqual(udp.answers, []);
  const tcp = await askTcp(server, 'db.default.svc.cluster.local');
  assert.equal(tcp.answers?.length, 40);
});

test('until the view has synced, cluster names are SERVFAIL (not NXDOMAIN); then they resolve', async (t) => {
  let markSynced = () => {};
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve;
  });
  const server = await startClusterDns(t, { ...view, synced: () => synced });
  const early = await askUdp(server, 'web.default.svc.cluster.local');
  assert.equal(early.rcode, 'SERVFAIL');
  assert.equal(early.flag_aa, false);
  assert.deepEqual(
    addresses(await askUdp(server, 'example.com')),
    [upstreamAnswer],
    'other names are forwarded',
  );
  markSynced();
  await synced;
  assert.deepEqual(addresses(await askUdp(server, 'web.default.svc.cluster.local')), ['10.96.0.10']);
});
