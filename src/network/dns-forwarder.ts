/**
 * Forwards a query the embedded DNS does not own to the upstream resolvers: each in turn, UDP first
 * with a per-upstream timeout (2 s by default, like glibc's resolver), TCP when the UDP answer was
 * truncated or the client itself asked over TCP. The query goes out byte for byte (its id and EDNS
 * options included), from a fresh socket per exchange, so answers need no id rewriting and one
 * client's answer can never reach another.
 */
import { createSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import { isIPv6 } from 'node:net';
import { type DecodedPacket, decode } from 'dns-packet';
import { DnsFrameReader, framed } from './dns-framing.ts';
import type { DnsUpstream } from './dns-upstreams.ts';

export interface ForwardRequest {
  /** The client's query, as received. */
  query: Buffer;
  /** How the client asked: a TCP client gets the full answer, a UDP one at most `udpLimit` bytes. */
  transport: 'udp' | 'tcp';
  udpLimit: number;
  upstreams: readonly DnsUpstream[];
  timeoutMs: number;
  /** Aborts the exchanges in flight (the server is stopping). */
  signal: AbortSignal;
}

/** Upstream answer codes that mean "ask someone else" rather than an answer. */
const failedRcodes = new Set(['SERVFAIL', 'REFUSED', 'NOTIMP']);

/**
 * The first useful upstream answer, as wire bytes, or `undefined` when no upstream gave one (the
 * caller answers SERVFAIL).
 */
export async function forwardQuery(request: ForwardRequest): Promise<Buffer | undefined> {
  const queryId = request.query.readUInt16BE(0);
  for (const upstream of request.upstreams) {
    if (request.signal.aborted) return undefined;
    try {
      const answer = await askUpstream(upstream, queryId, request);
      if (!failedRcodes.has(decodedRcode(answer))) return answer;
    } catch {
      // This upstream is down, slow or talking nonsense: the next one may answer.
    }
  }
  return undefined;
}

async function askUpstream(upstream: DnsUpstream, queryId: number, request: ForwardRequest): Promise<Buffer> {
  const exchange = {
    upstream,
    query: request.query,
    queryId,
    timeoutMs: request.timeoutMs,
    signal: request.signal,
  };
  if (request.transport === 'tcp') return tcpExchange(exchange);
  const answer = await udpExchange(exchange);
  if (!decode(answer).flag_tc) return answer;
  try {
    const full = await tcpExchange(exchange);
    // Too big for the client's UDP buffer: relay the truncated answer, and the client comes back over TCP.
    return full.length <= request.udpLimit ? full : answer;
  } catch {
    return answer;
  }
}

interface Exchange {
  upstream: DnsUpstream;
  query: Buffer;
  queryId: number;
  timeoutMs: number;
  signal: AbortSignal;
}

function udpExchange(exchange: Exchange): Promise<Buffer> {
  const { upstream } = exchange;
  const socket = createSocket(isIPv6(upstream.host.split('%')[0] ?? '') ? 'udp6' : 'udp4');
  return settleOnce(
    exchange,
    () => socket.close(),
    (resolve, reject) => {
      socket.on('error', reject);
      // A connected socket receives datagrams from the upstream's address and port only.
      socket.on('message', (message) => {
        if (isAnswerTo(exchange.queryId, message)) resolve(message);
      });
      socket.connect(upstream.port, upstream.host, () => {
        // The exchange may have ended (timeout, stop) and closed the socket before it connected.
        try {
          socket.send(exchange.query);
        } catch (err) {
          reject(err as Error);
        }
      });
    },
  );
}

function tcpExchange(exchange: Exchange): Promise<Buffer> {
  const socket = tcpConnect({ host: exchange.upstream.host, port: exchange.upstream.port });
  socket.setNoDelay(true);
  const reader = new DnsFrameReader();
  return settleOnce(
    exchange,
    () => socket.destroy(),
    (resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('upstream closed the connection before answering')));
      socket.on('connect', () => socket.write(framed(exchange.query)));
      socket.on('data', (chunk: Buffer) => {
        const answer = reader.push(chunk).find((message) => isAnswerTo(exchange.queryId, message));
        if (answer !== undefined) resolve(answer);
      });
    },
  );
}

/** Runs `start` with a timeout and the abort signal; `release` runs once, whichever way it ends. */
function settleOnce(
  exchange: Exchange,
  release: () => void,
  start: (resolve: (answer: Buffer) => void, reject: (err: Error) => void) => void,
): Promise<Buffer> {
  return new Promise((resolvePromise, rejectPromise) => {
    let settled = false;
    const finish = (err: Error | undefined, answer?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      exchange.signal.removeEventListener('abort', onAbort);
      release();
      if (err !== undefined || answer === undefined) rejectPromise(err ?? new Error('no answer'));
      else resolvePromise(answer);
    };
    const onAbort = () => finish(new Error('DNS server stopping'));
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `no answer from ${exchange.upstream.host}:${exchange.upstream.port} within ${exchange.timeoutMs} ms`,
          ),
        ),
      exchange.timeoutMs,
    );
    exchange.signal.addEventListener('abort', onAbort);
    start(
      (answer) => finish(undefined, answer),
      (err) => finish(err),
    );
  });
}

function isAnswerTo(queryId: number, message: Buffer): boolean {
  const packet = tryDecode(message);
  return packet?.flag_qr === true && packet.id === queryId;
}

function decodedRcode(message: Buffer): string {
  return (tryDecode(message) as (DecodedPacket & { rcode?: string }) | undefined)?.rcode ?? 'SERVFAIL';
}

function tryDecode(message: Buffer): DecodedPacket | undefined {
  try {
    return decode(message);
  } catch {
    return undefined;
  }
}
