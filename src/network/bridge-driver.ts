/**
 * NetworkDriver on a Linux bridge per network: iproute2 for devices and addresses, iptables for
 * masquerade, isolation and published ports. The driver keeps the networks and ports it was told about
 * in memory, so every rule change rebuilds the daemon's chains from one complete model instead of
 * patching single rules (reconcile replaces that model with the database's view).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import type { Logger } from 'pino';
import { MarinaError } from '../errors.ts';
import { assertDaemonTag, bridgeAlias, isOwnUserBridge, isOwnVeth } from './daemon-tag.ts';
import {
  bridgeBatch,
  containerSideBatch,
  deleteLinksBatch,
  hostVethBatch,
  linkExists,
  listLinks,
  runIpBatch,
} from './ip-commands.ts';
import {
  buildChains,
  iptablesRestore,
  iptablesSave,
  parseOwnRules,
  type RulePort,
  restoreInput,
} from './iptables.ts';
import type { DesiredNetworkState, NetworkDriver } from './network-driver.ts';
import type { EndpointRecord, NetworkRecord, PortBinding } from './network-types.ts';

export interface BridgeDriverOptions {
  daemonTag: string;
  logger: Logger;
}

export class BridgeDriver implements NetworkDriver {
  readonly #tag: string;
  readonly #logger: Logger;
  readonly #networks = new Map<string, NetworkRecord>();
  readonly #ports = new Map<string, RulePort>();
  /** Rule rebuilds run one after another, each from the model as it is when its turn comes. */
  #rulesQueue: Promise<void> = Promise.resolve();
  /** Whether this process has seen the jump rules exactly in place; until then a rebuild reads the kernel first. */
  #jumpsInPlace = false;

  constructor(options: BridgeDriverOptions) {
    assertDaemonTag(options.daemonTag);
    this.#tag = options.daemonTag;
    this.#logger = options.logger;
  }

  async ensureNetwork(network: NetworkRecord): Promise<void> {
    checkNetwork(network);
    await this.#setUpBridge(network);
    this.#networks.set(network.id, network);
    await this.#applyRules(false);
  }

  async removeNetwork(network: NetworkRecord): Promise<void> {
    checkNetwork(network);
    this.#networks.delete(network.id);
    for (const [key, port] of this.#ports) if (port.bridge === network.bridge) this.#ports.delete(key);
    await this.#applyRules(false);
    if (linkExists(network.bridge)) await runIpBatch(deleteLinksBatch([network.bridge]));
  }

  async attach(network: NetworkRecord, endpoint: EndpointRecord, netnsPath: string): Promise<void> {
    checkNetwork(network);
    checkEndpoint(endpoint);
    checkNetnsPath(netnsPath);
    const exists = linkExists(endpoint.hostIfName);
    await runIpBatch(hostVethBatch(network.bridge, endpoint, netnsPath, { exists }));
    // An internal network has nowhere to route to, and only the first interface carries the default route.
    const defaultRoute = endpoint.ifName === 'eth0' && !network.internal;
    await runIpBatch(containerSideBatch(endpoint, { defaultRoute }), netnsPath);
  }

  async detach(endpoint: EndpointRecord): Promise<void> {
    checkEndpoint(endpoint);
    if (linkExists(endpoint.hostIfName)) await runIpBatch(deleteLinksBatch([endpoint.hostIfName]));
  }

  async publish(network: NetworkRecord, endpoint: EndpointRecord, binding: PortBinding): Promise<void> {
    checkNetwork(network);
    checkEndpoint(endpoint);
    checkBinding(binding);
    this.#ports.set(portKey(endpoint, binding), rulePortOf(network, endpoint, binding));
    await this.#applyRules(false);
  }

  async unpublish(network: NetworkRecord, endpoint: EndpointRecord, binding: PortBinding): Promise<void> {
    checkNetwork(network);
    checkEndpoint(endpoint);
    checkBinding(binding);
    if (this.#ports.delete(portKey(endpoint, binding))) await this.#applyRules(false);
  }

  async reconcile(desired: DesiredNetworkState): Promise<void> {
    desired.networks.forEach(checkNetwork);
    for (const { endpoint, netnsPath } of desired.endpoints) {
      checkEndpoint(endpoint);
      checkNetnsPath(netnsPath);
    }
    for (const { endpoint, binding } of desired.ports) {
      checkEndpoint(endpoint);
      checkBinding(binding);
    }
    const networksById = new Map(desired.networks.map((n) => [n.id, n]));

    const stale = staleLinks(this.#tag, await listLinks(), desired);
    if (stale.length > 0) {
      this.#logger.info({ links: stale }, 'removing stale network devices');
      await runIpBatch(deleteLinksBatch(stale));
    }

    this.#networks.clear();
    this.#ports.clear();
    for (const network of desired.networks) {
      await this.#setUpBridge(network);
      this.#networks.set(network.id, network);
    }
    for (const { endpoint, netnsPath } of desired.endpoints) {
      const network = networksById.get(endpoint.networkId);
      if (network === undefined || !existsSync(netnsPath)) {
        this.#logger.warn(
          { endpoint: endpoint.hostIfName, netnsPath },
          'endpoint skipped: its network or namespace is gone',
        );
        continue;
      }
      await this.attach(network, endpoint, netnsPath);
    }
    for (const { endpoint, binding } of desired.ports) {
      const network = networksById.get(endpoint.networkId);
      if (network === undefined) {
        this.#logger.warn(
          { endpoint: endpoint.hostIfName, binding },
          'published port skipped: its network is gone',
        );
        continue;
      }
      this.#ports.set(portKey(endpoint, binding), rulePortOf(network, endpoint, binding));
    }
    await this.#applyRules(true);
  }

  async #setUpBridge(network: NetworkRecord): Promise<void> {
    // Containers only reach anything beyond their bridge when the host forwards, as with Docker.
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
    await runIpBatch(bridgeBatch(network, bridgeAlias(this.#tag), { exists: linkExists(network.bridge) }));
    // Lets the host's 127.0.0.1 be DNAT'ed out through the bridge to a published port.
    await writeFile(`/proc/sys/net/ipv4/conf/${network.bridge}/route_localnet`, '1');
  }

  #applyRules(resync: boolean): Promise<void> {
    const run = this.#rulesQueue.then(() => this.#writeRules(resync));
    this.#rulesQueue = run.catch(() => undefined);
    return run;
  }

  async #writeRules(resync: boolean): Promise<void> {
    const networks = [...this.#networks.values()]
      .sort((a, b) => a.bridge.localeCompare(b.bridge))
      .map((n) => ({ bridge: n.bridge, subnet: n.subnet, internal: n.internal }));
    const ports = [...this.#ports.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, port]) => port);
    const chains = networks.length === 0 ? [] : buildChains(this.#tag, networks, ports);
    const needsKernelView = resync || !this.#jumpsInPlace || chains.length === 0;
    const current = needsKernelView ? parseOwnRules(await iptablesSave(), this.#tag) : undefined;
    await iptablesRestore(restoreInput(this.#tag, current === undefined ? { chains } : { chains, current }));
    this.#jumpsInPlace = chains.length > 0;
  }
}

/** Own devices (by name or bridge alias) that the desired state does not name. */
export function staleLinks(
  tag: string,
  links: readonly { name: string; alias?: string }[],
  desired: DesiredNetworkState,
): string[] {
  const bridges = new Set(desired.networks.map((n) => n.bridge));
  const veths = new Set(desired.endpoints.map((e) => e.endpoint.hostIfName));
  return links
    .filter((link) => {
      if (isOwnVeth(tag, link.name)) return !veths.has(link.name);
      const ownBridge = isOwnUserBridge(tag, link.name) || link.alias === bridgeAlias(tag);
      return ownBridge && !bridges.has(link.name);
    })
    .map((link) => link.name);
}

function portKey(endpoint: EndpointRecord, binding: PortBinding): string {
  return [
    endpoint.networkId,
    endpoint.containerId,
    binding.protocol,
    binding.hostIp,
    binding.hostPort,
    binding.containerPort,
  ].join('/');
}

function rulePortOf(network: NetworkRecord, endpoint: EndpointRecord, binding: PortBinding): RulePort {
  return { ...binding, ip: endpoint.ip, bridge: network.bridge };
}

// Every value below ends up in an ip or iptables command line: anything outside these shapes could
// split a line or add arguments, so it is refused before any command runs.
const deviceName = /^[A-Za-z0-9_.-]{1,15}$/;
const macAddress = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function checkNetwork(network: NetworkRecord): void {
  if (!deviceName.test(network.bridge))
    throw badField('network bridge', network.bridge, 'a device name of at most 15 letters, digits, _ . -');
  const [address, prefix] = network.subnet.split('/');
  const length = Number(prefix);
  if (address === undefined || !isIPv4(address) || !/^\d{1,2}$/.test(prefix ?? '') || length > 32) {
    throw badField('network subnet', network.subnet, 'an IPv4 CIDR such as 10.89.0.0/24');
  }
  if (!isIPv4(network.gateway)) throw badField('network gateway', network.gateway, 'an IPv4 address');
}

export function checkEndpoint(endpoint: EndpointRecord): void {
  if (!deviceName.test(endpoint.ifName))
    throw badField('endpoint interface', endpoint.ifName, 'a device name such as eth0');
  if (!deviceName.test(endpoint.hostIfName))
    throw badField('endpoint host interface', endpoint.hostIfName, 'a device name of at most 15 characters');
  if (!isIPv4(endpoint.ip)) throw badField('endpoint address', endpoint.ip, 'an IPv4 address');
  if (!isIPv4(endpoint.gateway)) throw badField('endpoint gateway', endpoint.gateway, 'an IPv4 address');
  if (!Number.isInteger(endpoint.prefixLength) || endpoint.prefixLength < 0 || endpoint.prefixLength > 32) {
    throw badField('endpoint prefix length', String(endpoint.prefixLength), 'an integer from 0 to 32');
  }
  if (!macAddress.test(endpoint.mac))
    throw badField('endpoint MAC', endpoint.mac, 'six hex pairs such as 02:42:0a:58:00:02');
}

export function checkBinding(binding: PortBinding): void {
  if (binding.protocol !== 'tcp' && binding.protocol !== 'udp')
    throw badField('port protocol', String(binding.protocol), 'tcp or udp');
  if (!isIPv4(binding.hostIp)) throw badField('port host IP', binding.hostIp, 'an IPv4 address or 0.0.0.0');
  for (const [field, port] of [
    ['host port', binding.hostPort],
    ['container port', binding.containerPort],
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw badField(field, String(port), 'an integer from 1 to 65535');
  }
}

function checkNetnsPath(path: string): void {
  if (!/^\/[^\s]*$/.test(path))
    throw badField(
      'network namespace path',
      path,
      'an absolute path without spaces, such as /proc/<pid>/ns/net',
    );
}

function badField(what: string, value: string, expected: string): MarinaError {
  return new MarinaError('Invalid', `${what} "${value}" is not valid: expected ${expected}`);
}
