/**
 * What an embedded DNS server says to a query, decided without I/O. A server owns some names (a
 * network's containers, the cluster's Services) and answers them itself, authoritatively, from a
 * `DnsRecords` source; everything else is forwarded to the upstreams, as Docker's, aardvark's and
 * CoreDNS's servers do.
 *
 * A network's names (`tableRecords`) are answered with TTL 0 (a container's address changes when it is
 * recreated, so nothing may cache it). Two exceptions keep names from leaking out and clients from
 * waiting on a resolver that cannot know the answer:
 * - an unknown single-label name (`db`, or a container of another network) is NXDOMAIN here: there is
 *   no domain-less namespace upstream, and the client moves on to its search domains at once;
 * - an internal network has no route out, so its DNS does not forward either: REFUSED.
 */
import { isIPv4, isIPv6 } from 'node:net';
import {
  type Answer,
  AUTHORITATIVE_ANSWER,
  type DecodedPacket,
  encodingLength,
  type Packet,
  type Question,
  RECURSION_AVAILABLE,
  RECURSION_DESIRED,
  type StringAnswer,
  TRUNCATED_RESPONSE,
} from 'dns-packet';
import { normalDnsName } from './dns-names.ts';

export const rcode = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;
export type Rcode = (typeof rcode)[keyof typeof rcode];

export interface ReplyPolicy {
  /** Names the server does not own go to upstreams (false on internal networks). */
  forwarding: boolean;
}

const standardQueryOpcode = 0;
/** The largest UDP answer every client accepts (RFC 1035); EDNS clients announce more. */
const classicUdpLimit = 512;
/** Bigger EDNS buffers fragment; 1232 is the DNS flag day 2020 value. */
const ednsUdpCeiling = 1232;

/** What a source of names says about one question on a name it owns. */
export interface OwnedAnswer {
  /**
   * `noError` with the records (none when the name exists without records of the asked type: NODATA),
   * `nxDomain` when the name does not exist, `servFail` when the source cannot tell yet.
   */
  rcode: typeof rcode.noError | typeof rcode.nxDomain | typeof rcode.servFail;
  answers: Answer[];
  /** Records that spare the client a lookup (the addresses of SRV targets); dropped first when UDP is short. */
  additionals?: Answer[];
}

/**
 * The names a server answers itself: its answer to `question`, or `undefined` for a name that is not
 * its own, which is forwarded (REFUSED when forwarding is off).
 */
export type DnsRecords = (question: Question) => OwnedAnswer | undefined;

/**
 * The reply to `query` when this server answers it itself, or `undefined` when it is to be forwarded.
 * `query` must be a decoded query (not a response).
 */
export function recordsReply(
  query: DecodedPacket,
  records: DnsRecords,
  policy: ReplyPolicy,
): Packet | undefined {
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  if (opcode !== standardQueryOpcode) return failureReply(query, rcode.notImp, policy);
  const questions = query.questions ?? [];
  const question = questions[0];
  if (question === undefined || questions.length > 1) return failureReply(query, rcode.formErr, policy);

  const owned = records(question);
  if (owned !== undefined) {
    return reply(query, owned.rcode, policy, {
      authoritative: owned.rcode !== rcode.servFail,
      answers: owned.answers,
      additionals: owned.additionals ?? [],
    });
  }
  if (!policy.forwarding) return failureReply(query, rcode.refused, policy);
  return undefined;
}

/** `recordsReply` for a network's name table (name in normal form → addresses). */
export function localReply(
  query: DecodedPacket,
  table: ReadonlyMap<string, readonly string[]>,
  policy: ReplyPolicy,
): Packet | undefined {
  return recordsReply(query, tableRecords(table), policy);
}

/** A network's names as a record source: its containers' addresses, TTL 0, unknown single labels NXDOMAIN. */
export function tableRecords(table: ReadonlyMap<string, readonly string[]>): DnsRecords {
  return (question) => {
    const name = normalDnsName(question.name);
    const ips = (question.class ?? 'IN') === 'IN' ? table.get(name) : undefined;
    if (ips !== undefined) {
      const answers: StringAnswer[] = addressesFor(question.type, ips).map(([type, ip]) => ({
        type,
        name: question.name,
        ttl: 0,
        class: 'IN',
        data: ip,
      }));
      return { rcode: rcode.noError, answers };
    }
    if (name !== '' && !name.includes('.')) return { rcode: rcode.nxDomain, answers: [] };
    return undefined;
  };
}

/** A reply that carries only an error code, the query's question echoed. */
export function failureReply(query: DecodedPacket, code: Rcode, policy: ReplyPolicy): Packet {
  return reply(query, code, policy, {});
}

/** The largest UDP reply the client that sent `query` accepts. */
export function udpLimitOf(query: DecodedPacket): number {
  const opt = (query.additionals ?? []).find((record) => record.type === 'OPT');
  if (opt === undefined || !('udpPayloadSize' in opt)) return classicUdpLimit;
  return Math.min(Math.max(opt.udpPayloadSize, classicUdpLimit), ednsUdpCeiling);
}

/**
 * `response` as it may go over UDP: unchanged when it fits in `limit` bytes; else without its additional
 * records when that is enough (they only spare a lookup, so dropping them is no truncation: RFC 2181
 * §9); else with no records and the TC flag, which tells the client to ask again over TCP.
 */
export function fittedForUdp(response: Packet, limit: number): Packet {
  if (encodingLength(response) <= limit) return response;
  const withoutAdditionals = { ...response, additionals: [] };
  if ((response.additionals ?? []).length > 0 && encodingLength(withoutAdditionals) <= limit) {
    return withoutAdditionals;
  }
  return {
    ...response,
    flags: (response.flags ?? 0) | TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: [],
  };
}

function reply(
  query: DecodedPacket,
  code: Rcode,
  policy: ReplyPolicy,
  content: { authoritative?: boolean; answers?: Answer[]; additionals?: Answer[] },
): Packet {
  let flags: number = code;
  if (content.authoritative) flags |= AUTHORITATIVE_ANSWER;
  if (query.flag_rd) flags |= RECURSION_DESIRED;
  if (policy.forwarding) flags |= RECURSION_AVAILABLE;
  return {
    type: 'response',
    id: query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers: content.answers ?? [],
    additionals: content.additionals ?? [],
  };
}

/** The A and AAAA records among `ips` a question of `type` asks for. */
export function addressesFor(type: string, ips: readonly string[]): ['A' | 'AAAA', string][] {
  const v4 = ips.filter((ip) => isIPv4(ip)).map((ip): ['A', string] => ['A', ip]);
  const v6 = ips.filter((ip) => isIPv6(ip)).map((ip): ['AAAA', string] => ['AAAA', ip]);
  if (type === 'A') return v4;
  if (type === 'AAAA') return v6;
  if (type === 'ANY') return [...v4, ...v6];
  // The name exists but has no records of that type: NOERROR with no answers (NODATA), never NXDOMAIN,
  // which would tell the client the A record does not exist either.
  return [];
}
