/**
 * The node's service data path (kube-proxy's iptables mode): keeps the kernel's NAT rules equal to what
 * the Services and their EndpointSlices ask for. At start it reconciles against the kernel's own listing,
 * deleting every chain of its prefix that is not wanted, so a daemon killed with -9 and started again
 * leaves nothing stale; afterwards each change of the view rebuilds the whole wanted state from the view
 * (level-triggered) and writes it, when it changed, with one atomic iptables-restore. Rules stay when
 * the daemon stops, so traffic keeps flowing until the next start reconciles.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import {
  iptablesRestore,
  iptablesSave,
  type OwnChain,
  type OwnRulesInKernel,
  parseOwnRules,
  restoreInput,
} from '../../../network/iptables.ts';
import { runCommand } from '../../../run-command.ts';
import type { ServiceView } from '../service-view.ts';
import { type ProxiedPort, proxiedPorts } from './proxied-ports.ts';
import { buildServiceChains, serviceRuleOwner } from './service-rules.ts';
import { staleUdpFlows } from './stale-udp-flows.ts';
import { SyncRunner } from './sync-runner.ts';

export interface PodNetwork {
  subnet: string;
  bridge: string;
}

export interface ServiceProxyOptions {
  view: ServiceView;
  /** The daemon tag (daemonTagOf(root)): names the chains, so daemons sharing a kernel stay apart. */
  tag: string;
  podNetwork: PodNetwork;
  /** Addresses NodePorts answer on; all local addresses when absent. */
  nodeAddresses?: readonly string[];
  /** The cluster IP range: connections to it that no Service takes are refused (see ServiceRuleOptions). */
  serviceRange?: string;
  logger: Logger;
}

/** Changes within this long of a sync's start wait and go together into the next one. */
const minSyncIntervalMs = 20;
const retryMs = 1000;

export class ServiceProxy {
  readonly #options: ServiceProxyOptions;
  readonly #logger: Logger;
  /** What this process last wrote; unknown until the first sync reads the kernel, and again after a failure. */
  #kernel: OwnRulesInKernel | undefined;
  /** Each chain's rules as last written (by `table name`), so a sync rewrites only the chains that changed. */
  #writtenChains = new Map<string, string>();
  #ports: ProxiedPort[] = [];

  constructor(options: ServiceProxyOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ part: 'service-proxy' });
  }

  /** Programs the rules until `signal` aborts; resolves then (the rules are kept). */
  async run(signal: AbortSignal): Promise<void> {
    await enableRouting(this.#logger);
    const runner = new SyncRunner(() => this.#sync(), {
      minIntervalMs: minSyncIntervalMs,
      retryMs,
      onError: (err) => {
        this.#kernel = undefined;
        this.#logger.error({ err }, 'service rules not applied; retrying');
      },
    });
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([this.#options.view.synced(), aborted]);
    if (signal.aborted) return;
    const unsubscribe = this.#options.view.onChange(() => runner.request());
    runner.request();
    await aborted;
    unsubscribe();
    await runner.stop();
  }

  /** One pass: the wanted rules from the view, written when they differ from what is in place. */
  async #sync(): Promise<void> {
    const { tag, podNetwork, nodeAddresses, serviceRange } = this.#options;
    const owner = serviceRuleOwner(tag);
    const ports = proxiedPorts(this.#options.view);
    const chains = buildServiceChains(ports, {
      tag,
      podSubnet: podNetwork.subnet,
      podBridge: podNetwork.bridge,
      ...(nodeAddresses ? { nodeAddresses } : {}),
      ...(serviceRange ? { serviceRange } : {}),
    });
    // After a write this process made, only the chains that differ are written (kube-proxy's partial
    // sync): a full rewrite costs ~0.7 s at 1,000 Services. Otherwise the kernel's own listing is the start.
    const known = this.#kernel;
    const unchanged =
      known === undefined ? [] : chains.filter((c) => this.#writtenChains.get(chainKey(c)) === c.rules.join('\n'));
    const input = restoreInput(owner, { chains, current: known ?? parseOwnRules(await iptablesSave(), owner), unchanged });
    // Nothing to write (no chain, jump or stale chain differs from the last write): nothing changed.
    if (known !== undefined && input === '') return;
    this.#kernel = undefined;
    const started = performance.now();
    await iptablesRestore(input);
    this.#kernel = { jumps: owner.jumps, chains: chains.map(nameOf) };
    this.#writtenChains = new Map(chains.map((c) => [chainKey(c), c.rules.join('\n')]));
    this.#logger.debug(
      {
        servicePorts: ports.length,
        chains: chains.length,
        written: chains.length - unchanged.length,
        ms: Math.round(performance.now() - started),
      },
      'service rules written',
    );
    await this.#forgetStaleUdpFlows(ports);
  }

  async #forgetStaleUdpFlows(ports: ProxiedPort[]): Promise<void> {
    const stale = staleUdpFlows(this.#ports, ports);
    this.#ports = ports;
    await Promise.all(
      stale.map(async (args) => {
        const result = await runCommand('conntrack', args).catch((err: unknown) => ({
          code: -1,
          stderr: String(err),
        }));
        // conntrack exits 1 when nothing matched, which is the usual case.
        if (result.code !== 0 && !/0 flow entries/.test(result.stderr))
          this.#logger.warn({ args, stderr: result.stderr.trim() }, 'stale UDP flows not deleted');
      }),
    );
  }
}

const nameOf = (c: OwnChain) => ({ table: c.table, name: c.name });
const chainKey = (c: OwnChain) => `${c.table} ${c.name}`;

/** Deletes every chain and jump of the tag's service proxy (tests, uninstall). */
export async function removeServiceRules(tag: string): Promise<void> {
  const owner = serviceRuleOwner(tag);
  await iptablesRestore(
    restoreInput(owner, { chains: [], current: parseOwnRules(await iptablesSave(), owner) }),
  );
}

/**
 * Forwarding, and bridged traffic through iptables: a reply from a pod to a client pod on the same
 * bridge is switched, not routed, and only reaches conntrack (to be un-DNATed back to the service
 * address) when br_netfilter passes bridged packets to iptables. Docker and kube-proxy need the same.
 */
async function enableRouting(logger: Logger): Promise<void> {
  const settings = ['/proc/sys/net/ipv4/ip_forward'];
  if (existsSync('/proc/sys/net/bridge')) settings.push('/proc/sys/net/bridge/bridge-nf-call-iptables');
  else
    logger.warn(
      'br_netfilter is not loaded (no /proc/sys/net/bridge): a pod reaching a Service backed by a pod on its own bridge gets no reply; run `modprobe br_netfilter`',
    );
  for (const path of settings) {
    await writeFile(path, '1').catch((err: unknown) =>
      logger.warn({ err, path }, 'could not enable; Service traffic may not pass'),
    );
  }
}
