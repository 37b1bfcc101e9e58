/**
 * The node's cluster DNS: a DNS server in marinad that answers the cluster's Service names from the
 * node's ServiceView (cluster-dns-records.ts) and forwards every other name to the host's resolvers.
 * Each marinad with a node agent runs one, node-local like NodeLocal DNSCache, on the default bridge's
 * gateway: the address every pod reaches, which its resolv.conf names (pod-dns-config.ts).
 *
 * Answers are read from the view at each query, so a Service or endpoint change is seen by the next
 * query without any table to keep in step. Until the view has listed Services and EndpointSlices, a
 * cluster name is SERVFAIL rather than NXDOMAIN: the name may well exist, and the client retries.
 */
import type { Question } from 'dns-packet';
import { type OwnedAnswer, rcode } from '../../../network/dns-answer.ts';
import { type DnsLogger, DnsServer } from '../../../network/dns-server.ts';
import type { DnsUpstream } from '../../../network/dns-upstreams.ts';
import type { ServiceView } from '../service-view.ts';
import { clusterRecords, inClusterDomain } from './cluster-dns-records.ts';

export interface ClusterDnsOptions {
  view: ServiceView;
  /** Where it listens: the default bridge's gateway on a node. */
  address: string;
  /** Default 53; 0 picks a free port (tests). */
  port?: number;
  /** Where names outside the cluster domain go: the host's resolvers (or the daemon's `--dns-upstream`). */
  upstreams: readonly DnsUpstream[];
  /** Per upstream and transport; default 2000. */
  upstreamTimeoutMs?: number;
  logger: DnsLogger;
}

/** Single use: once stopped, a new one is made. */
export class ClusterDns {
  readonly #options: ClusterDnsOptions;
  readonly #server: DnsServer;
  #synced = false;

  constructor(options: ClusterDnsOptions) {
    this.#options = options;
    this.#server = new DnsServer({
      address: options.address,
      port: options.port ?? 53,
      upstreams: () => options.upstreams,
      records: (question) => this.#answer(question),
      logger: options.logger,
      ...(options.upstreamTimeoutMs === undefined ? {} : { upstreamTimeoutMs: options.upstreamTimeoutMs }),
    });
  }

  /** Binds UDP and TCP; `Unavailable` when the address or port cannot be bound. Does not wait for the view. */
  async start(): Promise<void> {
    this.#options.view.synced().then(
      () => {
        this.#synced = true;
      },
      (err: unknown) => this.#options.logger.warn({ err }, 'cluster DNS: the Service view never synced'),
    );
    await this.#server.start();
    this.#options.logger.info({ endpoint: this.#server.endpoint() }, 'cluster DNS started');
  }

  /** Where it listens (the actual port when 0 was asked for). */
  endpoint(): DnsUpstream {
    return this.#server.endpoint();
  }

  stop(): Promise<void> {
    return this.#server.stop();
  }

  #answer(question: Question): OwnedAnswer | undefined {
    if (this.#synced) return clusterRecords(question, this.#options.view);
    return inClusterDomain(question.name) ? { rcode: rcode.servFail, answers: [] } : undefined;
  }
}
