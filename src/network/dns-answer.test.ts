import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DecodedPacket,
  decode,
  encode,
  encodingLength,
  type Packet,
  type Question,
  RECURSION_DESIRED,
} from 'dns-packet';
import {
  type DnsRecords,
  failureReply,
  fittedForUdp,
  localReply,
  rcode,
  recordsReply,
  udpLimitOf,
} from './dns-answer.ts';

const table = new Map([
  ['web', ['10.89.0.2', '10.89.0.3']],
  ['db', ['10.89.0.4', 'fd00::4']],
]);
const forwarding = { forwarding: true };

/** A query as the server sees it: encoded, then decoded, so flags and fields are what arrives. */
function query(question: Question | Question[], extra: Partial<Packet> = {}): DecodedPacket {
  const questions = Array.isArray(question) ? question : [question];
  return decode(encode({ type: 'query', id: 4242, flags: RECURSION_DESIRED, questions, ...extra }));
}

/** The reply as the client decodes it. */
function wire(reply: Packet | undefined): DecodedPacket & { rcode: string } {
  assert.ok(reply, 'expected a local reply');
  return decode(encode(reply)) as DecodedPacket & { rcode: string };
}

test('a known name: A records with TTL 0, authoritative, question and id echoed, RD echoed, RA set', () => {
  const reply = wire(localReply(query({ type: 'A', name: 'web' }), table, forwarding));
  assert.equal(reply.id, 4242);
  assert.equal(reply.rcode, 'NOERROR');
  assert.ok(reply.flag_qr && reply.flag_aa && reply.flag_rd && reply.flag_ra);
  assert.deepEqual(reply.questions, [{ name: 'web', type: 'A', class: 'IN' }]);
  assert.deepEqual(
    reply.answers?.map((a) => [
      a.type,
      a.name,
      'ttl' in a ? a.ttl : undefined,
      'data' in a ? a.data : undefined,
    ]),
    [
      ['A', 'web', 0, '10.89.0.2'],
      ['A', 'web', 0, '10.89.0.3'],
    ],
  );
});

test('names match case-insensitively and with the root dot; the answer keeps the asked spelling', () => {
  for (const name of ['WEB', 'Web.', 'web.']) {
    const reply = wire(localReply(query({ type: 'A', name }), table, forwarding));
    assert.equal(reply.answers?.length, 2, name);
    assert.equal(reply.answers?.[0]?.name, name.replace(/\.$/, ''));
  }
});

test('AAAA of a known name with IPv4 only is NOERROR with no answers; with IPv6, the IPv6 ones', () => {
  const noV6 = wire(localReply(query({ type: 'AAAA', name: 'web' }), table, forwarding));
  assert.equal(noV6.rcode, 'NOERROR');
  assert.deepEqual(noV6.answers, []);
  const v6 = wire(localReply(query({ type: 'AAAA', name: 'db' }), table, forwarding));
  assert.deepEqual(
    v6.answers?.map((a) => ('data' in a ? a.data : undefined)),
    ['fd00::4'],
  );
  const mx = wire(localReply(query({ type: 'MX', name: 'db' }), table, forwarding));
  assert.equal(mx.rcode, 'NOERROR');
  assert.deepEqual(mx.answers, []);
});

test('an unknown single-label name is NXDOMAIN here, not forwarded', () => {
  const reply = wire(localReply(query({ type: 'A', name: 'other-network-container' }), table, forwarding));
  assert.equal(reply.rcode, 'NXDOMAIN');
  assert.ok(reply.flag_aa);
  assert.deepEqual(reply.answers, []);
});

test('other names are forwarded; on an internal network they are REFUSED without recursion available', () => {
  assert.equal(localReply(query({ type: 'A', name: 'example.com' }), table, forwarding), undefined);
  assert.equal(localReply(query({ type: 'NS', name: '.' }), table, forwarding), undefined);
  const refused = wire(localReply(query({ type: 'A', name: 'example.com' }), table, { forwarding: false }));
  assert.equal(refused.rcode, 'REFUSED');
  assert.equal(refused.flag_ra, false);
  assert.equal(refused.flag_rd, true);
});

test('a known name in another class is not ours: forwarded', () => {
  const dotted = new Map([['version.bind', ['10.89.0.9']]]);
  assert.equal(
    localReply(query({ type: 'TXT', name: 'version.bind', class: 'CH' }), dotted, forwarding),
    undefined,
  );
  assert.ok(localReply(query({ type: 'A', name: 'version.bind' }), dotted, forwarding));
});

test('no question or several: FORMERR; a non-QUERY opcode: NOTIMP', () => {
  assert.equal(wire(localReply(query([]), table, forwarding)).rcode, 'FORMERR');
  const two = query([
    { type: 'A', name: 'web' },
    { type: 'A', name: 'db' },
  ]);
  assert.equal(wire(localReply(two, table, forwarding)).rcode, 'FORMERR');
  const notify = query({ type: 'SOA', name: 'web' }, { flags: 4 << 11 });
  assert.equal(wire(localReply(notify, table, forwarding)).rcode, 'NOTIMP');
});

test('failureReply: the code, the question echoed, no answers', () => {
  const reply = wire(failureReply(query({ type: 'A', name: 'example.com' }), rcode.servFail, forwarding));
  assert.equal(reply.rcode, 'SERVFAIL');
  assert.equal(reply.id, 4242);
  assert.deepEqual(reply.questions, [{ name: 'example.com', type: 'A', class: 'IN' }]);
});

test('udpLimitOf: 512 without EDNS, the announced size with it (not below 512, not above 1232)', () => {
  const edns = (udpPayloadSize: number) =>
    query(
      { type: 'A', name: 'web' },
      {
        additionals: [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ],
      },
    );
  assert.equal(udpLimitOf(query({ type: 'A', name: 'web' })), 512);
  assert.equal(udpLimitOf(edns(1024)), 1024);
  assert.equal(udpLimitOf(edns(100)), 512);
  assert.equal(udpLimitOf(edns(65000)), 1232);
});

test('fittedForUdp: unchanged when it fits, else no records and TC set', () => {
  const many = new Map([['web', Array.from({ length: 60 }, (_, i) => `10.89.0.${i + 2}`)]]);
  const big = localReply(query({ type: 'A', name: 'web' }), many, forwarding);
  assert.ok(big && encodingLength(big) > 512);
  const fitted = wire(fittedForUdp(big, 512));
  assert.ok(fitted.flag_tc);
  assert.deepEqual(fitted.answers, []);
  assert.deepEqual(fitted.questions, [{ name: 'web', type: 'A', class: 'IN' }]);
  const small = localReply(query({ type: 'A', name: 'web' }), table, forwarding);
  assert.ok(small);
  assert.equal(fittedForUdp(small, 512), small);
});

test('fittedForUdp: additional records are dropped first, without TC, when the answers alone fit', () => {
  const srvQuery = query({ type: 'SRV', name: '_http._tcp.web' });
  const target = (i: number) => `endpoint-${i}.web.default.svc.cluster.local`;
  const records: DnsRecords = () => ({
    rcode: rcode.noError,
    answers: Array.from({ length: 4 }, (_, i) => ({
      type: 'SRV' as const,
      name: '_http._tcp.web',
      ttl: 5,
      data: { priority: 0, weight: 25, port: 80, target: target(i) },
    })),
    additionals: Array.from({ length: 4 }, (_, i) => ({
      type: 'A' as const,
      name: target(i),
      ttl: 5,
      data: `10.88.0.${i}`,
    })),
  });
  const full = recordsReply(srvQuery, records, forwarding);
  assert.ok(full && encodingLength(full) > 512);
  const fitted = wire(fittedForUdp(full, 512));
  assert.equal(fitted.flag_tc, false);
  assert.equal(fitted.answers?.length, 4);
  assert.deepEqual(fitted.additionals, []);
  assert.equal(wire(fittedForUdp(full, 1232)).additionals?.length, 4);
});

test('recordsReply: a source that cannot tell yet gets SERVFAIL, not authoritative; names it does not own are forwarded', () => {
  const notYet: DnsRecords = (question) =>
    question.name.endsWith('.cluster.local') ? { rcode: rcode.servFail, answers: [] } : undefined;
  const reply = wire(
    recordsReply(query({ type: 'A', name: 'web.default.svc.cluster.local' }), notYet, forwarding),
  );
  assert.equal(reply.rcode, 'SERVFAIL');
  assert.equal(reply.flag_aa, false);
  assert.equal(recordsReply(query({ type: 'A', name: 'example.com' }), notYet, forwarding), undefined);
  assert.equal(
    wire(recordsReply(query({ type: 'A', name: 'example.com' }), notYet, { forwarding: false })).rcode,
    'REFUSED',
  );
});
