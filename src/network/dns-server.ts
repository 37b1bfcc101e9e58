/**
 * Marina's embedded DNS servers. `DnsServer` listens on one address (UDP and TCP, port 53), answers the
 * names a `DnsRecords` source owns and forwards the rest (see dns-answer.ts for what is answered how).
 * Two sources use it: the names of a user network's containers (`NetworkDnsServer`, one per network on
 * its gateway, run by `DnsManager` for the NetworkService) and the cluster's Services (the node agent's
 * cluster DNS).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import {
  isIPv6,
  createServer as createTcpServer,
  type Server as TcpServer,
  type Socket as TcpSocket,
} from 'node:net';
import { type DecodedPacket, decode, encode } from 'dns-packet';
import type { Logger } from 'pino';
import { MarinaError } from '../errors.ts';
import {
  type DnsRecords,
  failureReply,
  fittedForUdp,
  rcode,
  recordsReply,
  tableRecords,
  udpLimitOf,
} from './dns-answer.ts';
import { forwardQuery } from './dns-forwarder.ts';
import { DnsFrameReader, framed } from './dns-framing.ts';
import { dnsNameTable } from './dns-names.ts';
import { type DnsUpstream, withoutSelf } from './dns-upstreams.ts';
import type { NetworkRecord } from './network-types.ts';

export type DnsLogger = Pick<Logger, 'info' | 'warn' | 'debug'>;

export interface DnsServerOptions {
  address: string;
  /** Default 53; 0 picks a free port (tests). */
  port?: number;
  /** Read at each forwarded query, so a manager can keep its servers from forwarding to each other. */
  upstreams: () => readonly DnsUpstream[];
  /** False on internal networks: names the server does not own are REFUSED instead of forwarded. Default true. */
  forwarding?: boolean;
  /** Per upstream and transport; default 2000. */
  upstreamTimeoutMs?: number;
  logger: DnsLogger;
  /** The names it answers itself, asked at each query (so a source may change between queries). */
  records: DnsRecords;
}

/** A user network's server: its records are the network's name table (`setNames`). */
export type NetworkDnsServerOptions = Omit<DnsServerOptions, 'records'>;

/** A TCP client that sends nothing for this long is disconnected (RFC 7766 suggests seconds). */
const tcpIdleTimeoutMs = 10_000;
/** With an ephemeral port, the UDP port may be taken on TCP: try a few ports before giving up. */
const ephemeralBindAttempts = 5;

/** Single use: once stopped, a new server is made (the manager does). */
export class DnsServer {
  private readonly options: Required<DnsServerOptions>;
  private udp: UdpSocket | undefined;
  private tcp: TcpServer | undefined;
  private readonly connections = new Set<TcpSocket>();
  private readonly stopping = new AbortController();
  private bound: DnsUpstream | undefined;

  constructor(options: DnsServerOptions) {
    this.options = { port: 53, forwarding: true, upstreamTimeoutMs: 2000, ...options };
  }

  /** Binds UDP and TCP; `Unavailable` when the address or port cannot be bound (nothing is left bound). */
  async start(): Promise<void> {
    const { address, port } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bind(port);
        return;
      } catch (err) {
        await this.closeSockets();
        const retry =
          port === 0 &&
          attempt < ephemeralBindAttempts &&
          (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (retry) continue;
        throw new MarinaError(
          'Unavailable',
          `cannot serve DNS on ${address}:${port} (${(err as Error).message}): the address must exist on this host (is the network's bridge up?) and the port be free`,
          { cause: err },
        );
      }
    }
  }

  /** Where it listens (the actual port when 0 was asked for). */
  endpoint(): DnsUpstream {
    if (this.bound === undefined) throw new Error('DNS server not started');
    return this.bound;
  }

  /** Closes the sockets and cancels forwarded queries in flight. */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const connection of this.connections) connection.destroy();
    await this.closeSockets();
  }

  private async bind(port: number): Promise<void> {
    const { address } = this.options;
    const udp = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    this.udp = udp;
    udp.on('message', (message, peer) => {
      this.respond(message, 'udp', (reply) => udp.send(reply, peer.port, peer.address));
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address, port, exclusive: true }, () => {
        udp.off('error', reject);
        udp.on('error', (err) => this.options.logger.warn({ err, address }, 'DNS UDP socket error'));
        resolve();
      });
    });
    const udpPort = udp.address().port;

    const tcp = createTcpServer((connection) => this.serveTcp(connection));
    this.tcp = tcp;
    tcp.listen({ host: address, port: udpPort, exclusive: true });
    await Promise.race([once(tcp, 'listening'), once(tcp, 'error').then(([err]) => Promise.reject(err))]);
    tcp.on('error', (err) => this.options.logger.warn({ err, address }, 'DNS TCP server error'));
    this.bound = { host: address, port: udpPort };
  }

  private serveTcp(connection: TcpSocket): void {
    this.connections.add(connection);
    connection.on('close', () => this.connections.delete(connection));
    connection.on('error', () => connection.destroy());
    connection.setTimeout(tcpIdleTimeoutMs, () => connection.destroy());
    const reader = new DnsFrameReader();
    connection.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) {
        this.respond(message, 'tcp', (reply) => {
          if (connection.writable) connection.write(framed(reply));
        });
      }
    });
  }

  /**
   * Answers `message` through `send`, unless stopped meanwhile. Nothing a client sends makes it throw: a
   * query dns-packet decodes but cannot encode back (an odd question) gets no reply, as garbage does.
   */
  private respond(message: Buffer, transport: 'udp' | 'tcp', send: (reply: Buffer) => void): void {
    this.answer(message, transport)
      .then((reply) => {
        if (reply !== undefined && !this.stopping.signal.aborted) send(reply);
      })
      .catch((err: unknown) => this.options.logger.debug({ err }, 'DNS reply not sent'));
  }

  /** The reply's wire bytes, or `undefined` for messages that get none (malformed, or not a query). */
  private async answer(message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const query = decodedQuery(message);
    if (query === undefined) return undefined;
    const policy = { forwarding: this.options.forwarding };
    const udpLimit = udpLimitOf(query);
    const local = recordsReply(query, this.options.records, policy);
    if (local !== undefined) return encode(transport === 'udp' ? fittedForUdp(local, udpLimit) : local);
    const forwarded = await forwardQuery({
      query: message,
      transport,
      udpLimit,
      upstreams: withoutSelf(this.options.upstreams(), [this.endpoint()]),
      timeoutMs: this.options.upstreamTimeoutMs,
      signal: this.stopping.signal,
    });
    return forwarded ?? encode(failureReply(query, rcode.servFail, policy));
  }

  private async closeSockets(): Promise<void> {
    const { udp, tcp } = this;
    this.udp = undefined;
    this.tcp = undefined;
    this.bound = undefined;
    await Promise.all([
      udp && new Promise<void>((resolve) => udp.close(() => resolve())).catch(() => {}),
      tcp?.listening && new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }
}

/** A network's embedded DNS: answers the names of its containers (TTL 0), forwards the rest. */
export class NetworkDnsServer extends DnsServer {
  #records: DnsRecords = tableRecords(new Map());

  constructor(options: NetworkDnsServerOptions) {
    super({ ...options, records: (question) => this.#records(question) });
  }

  /** Replaces the names answered; takes effect for the next query. */
  setNames(names: ReadonlyMap<string, readonly string[]>): void {
    this.#records = tableRecords(dnsNameTable(names));
  }
}

/** A decoded query; `undefined` for bytes that are not a DNS message, and for responses (no reflection loops). */
function decodedQuery(message: Buffer): DecodedPacket | undefined {
  try {
    const packet = decode(message);
    return packet.flag_qr ? undefined : packet;
  } catch {
    return undefined;
  }
}

export interface DnsManagerOptions {
  /** Where names outside a network are forwarded; the daemon passes `--dns-upstream` or the host's resolv.conf nameservers. */
  upstreams: DnsUpstream[];
  logger: DnsLogger;
  /** Default 53; tests give 0 (a free port per server, see `endpointOf`). */
  port?: number;
  upstreamTimeoutMs?: number;
}

interface RunningDns {
  server: NetworkDnsServer;
  address: string;
  forwarding: boolean;
}

/**
 * One embedded DNS server per user network. The default network gets none (as Docker's default
 * bridge): `update` on it does nothing. Calls are serialized, so a table update never races the
 * server's start or stop.
 */
export class DnsManager {
  private readonly options: DnsManagerOptions;
  private readonly running = new Map<string, RunningDns>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: DnsManagerOptions) {
    this.options = options;
  }

  /**
   * Makes the network's server answer exactly `names` (name → addresses). Starts the server on the
   * network's gateway at the first call (the bridge must be up, so the address exists), and restarts it
   * if the gateway or internal flag changed.
   */
  update(network: NetworkRecord, names: ReadonlyMap<string, readonly string[]>): Promise<void> {
    if (network.isDefault) return Promise.resolve();
    return this.serialized(async () => {
      const forwarding = !network.internal;
      const current = this.running.get(network.id);
      if (current !== undefined && current.address === network.gateway && current.forwarding === forwarding) {
        current.server.setNames(names);
        return;
      }
      if (current !== undefined) await this.stopRunning(network.id, current);
      const server = new NetworkDnsServer({
        address: network.gateway,
        port: this.options.port ?? 53,
        forwarding,
        upstreams: () => withoutSelf(this.options.upstreams, this.endpoints()),
        logger: this.options.logger,
        ...(this.options.upstreamTimeoutMs === undefined
          ? {}
          : { upstreamTimeoutMs: this.options.upstreamTimeoutMs }),
      });
      server.setNames(names);
      await server.start();
      this.running.set(network.id, { server, address: network.gateway, forwarding });
      this.options.logger.info({ network: network.name, endpoint: server.endpoint() }, 'network DNS started');
    });
  }

  /** Where the network's server listens, if it runs. */
  endpointOf(networkId: string): DnsUpstream | undefined {
    return this.running.get(networkId)?.server.endpoint();
  }

  /** Stops the network's server; no-op when none runs. */
  stop(networkId: string): Promise<void> {
    return this.serialized(async () => {
      const current = this.running.get(networkId);
      if (current !== undefined) await this.stopRunning(networkId, current);
    });
  }

  stopAll(): Promise<void> {
    return this.serialized(async () => {
      await Promise.all(
        [...this.running].map(([networkId, current]) => this.stopRunning(networkId, current)),
      );
    });
  }

  private async stopRunning(networkId: string, current: RunningDns): Promise<void> {
    this.running.delete(networkId);
    await current.server.stop();
  }

  private endpoints(): DnsUpstream[] {
    return [...this.running.values()].map((r) => r.server.endpoint());
  }

  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation, operation);
    this.tail = result.catch(() => {});
    return result;
  }
}
