/**
 * The NetworkService over the state database, a NetworkDriver and the per-network DNS. Order of effects:
 * records first, then kernel objects (driver), then DNS; removal in the reverse order. Whatever a step
 * fails on is undone before the error is rethrown, so bad input or a busy port changes nothing.
 * Reservations of host ports come before any record: the kernel is the one that knows a port is taken.
 */
import { randomBytes } from 'node:crypto';
import type { StateDb } from '../db/state-db.ts';
import { MarinaError, conflict, invalid, isMarinaError, notFound } from '../errors.ts';
import { generateId, shortId } from '../ids.ts';
import { assertDaemonTag, hostVethName, userBridgeName } from './daemon-tag.ts';
import { dnsNamesOfEndpoints, renamedAliases } from './dns-names.ts';
import {
  type Cidr,
  carveSubnet,
  defaultGateway,
  formatCidr,
  isIpv4,
  macFromIp,
  nextFreeAddress,
  overlaps,
  parseSubnet,
  routedSubnets,
  validateGateway,
} from './ipam.ts';
import type { DesiredNetworkState, NetworkDriver } from './network-driver.ts';
import type { NetworkCreateRequest, NetworkInspect, NetworkService } from './network-service.ts';
import { NetworkStore, type StoredBinding, type StoredEndpoint, anyHostIp } from './network-store.ts';
import type { AttachRequest, AttachResult, EndpointRecord, NetworkRecord, PortBinding, PortRequest } from './network-types.ts';
import { type HostPort, PortReservations } from './port-reservations.ts';

/** The embedded DNS servers, one per user network (see dns-server.ts). */
export interface NetworkDns {
  /** Starts the network's server if needed and makes it answer exactly `names` (name → addresses). */
  update(network: NetworkRecord, names: Map<string, string[]>): Promise<void>;
  stop(networkId: string): Promise<void>;
}

export interface NetworkServiceOptions {
  db: StateDb;
  driver: NetworkDriver;
  dns: NetworkDns;
  defaultNetwork: { name: 'bridge'; bridge: string; subnet: string };
  /** Where `network create` without --subnet takes its /24 from. */
  pool: string;
  daemonTag: string;
  /** `ip -4 route` output of the host, read when a subnet is carved from the pool. */
  readHostRoutes: () => Promise<string>;
  /** Problems that do not fail the operation (a port another process took while marinad was down). */
  onWarning?: (message: string) => void;
  /** Told of each change users see in `events`, once it has fully taken effect (`container` for connect/disconnect). */
  onEvent?: (action: NetworkEventAction, network: NetworkRecord, containerId?: string) => void;
}

/** Docker's network event actions: a network made or removed, a container joining or leaving one. */
export type NetworkEventAction = 'create' | 'destroy' | 'connect' | 'disconnect';

const networkNameRule = '[a-zA-Z0-9][a-zA-Z0-9_.-]*';
const validNetworkName = new RegExp(`^${networkNameRule}$`);
/** `--network` values that are modes, not networks. */
const reservedNames = new Set(['none', 'host', 'default', 'container']);

export class NetworkServiceImpl implements NetworkService {
  private readonly db: StateDb;
  private readonly store: NetworkStore;
  private readonly driver: NetworkDriver;
  private readonly dns: NetworkDns;
  private readonly pool: Cidr;
  private readonly daemonTag: string;
  private readonly readHostRoutes: () => Promise<string>;
  private readonly warn: (message: string) => void;
  private readonly emit: NonNullable<NetworkServiceOptions['onEvent']>;
  private readonly reservations = new PortReservations();
  /** Networks whose removal is under way: no new endpoint may join them. */
  private readonly removing = new Set<string>();

  constructor(options: NetworkServiceOptions) {
    assertDaemonTag(options.daemonTag);
    this.db = options.db;
    this.store = new NetworkStore(options.db);
    this.driver = options.driver;
    this.dns = options.dns;
    this.pool = parseSubnet(options.pool, 'network pool');
    this.daemonTag = options.daemonTag;
    this.readHostRoutes = options.readHostRoutes;
    this.warn = options.onWarning ?? (() => {});
    this.emit = options.onEvent ?? (() => {});
    this.ensureDefaultNetwork(options.defaultNetwork);
  }

  async create(request: NetworkCreateRequest): Promise<NetworkRecord> {
    const { name } = request;
    if (!validNetworkName.test(name)) {
      throw invalid(`invalid network name "${name}": names must match ${networkNameRule}`);
    }
    if (reservedNames.has(name)) throw conflict(`network name ${name} is reserved for --network ${name}: choose another name`);
    const labels = request.labels ?? {};
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value !== 'string') throw invalid(`network label "${key}" must have a string value`);
    }
    const requested = request.subnet === undefined ? undefined : parseSubnet(request.subnet);
    if (request.gateway !== undefined && !requested) {
      throw invalid(`--gateway ${request.gateway} needs --subnet: give the subnet the gateway belongs to`);
    }
    const hostRoutes = requested ? [] : routedSubnets(await this.readHostRoutes());

    const network = this.db.transaction(() => {
      const existing = this.store.networks();
      if (existing.some((n) => n.name === name)) throw conflict(`network with name ${name} already exists: choose another name`);
      const subnet = requested ? checkNoOverlap(requested, existing) : this.carveFromPool(existing, hostRoutes);
      const record: NetworkRecord = {
        id: generateId(),
        name,
        driver: 'bridge',
        bridge: this.nextBridgeName(existing),
        subnet: formatCidr(subnet),
        gateway: request.gateway === undefined ? defaultGateway(subnet) : validateGateway(subnet, request.gateway),
        internal: request.internal ?? false,
        isDefault: false,
        labels,
        created: new Date().toISOString(),
      };
      this.store.insertNetwork(record);
      return record;
    });
    try {
      await this.driver.ensureNetwork(network);
      await this.dns.update(network, new Map());
    } catch (err) {
      await this.dns.stop(network.id).catch(() => {});
      await this.driver.removeNetwork(network).catch(() => {});
      this.store.deleteNetwork(network.id);
      throw err;
    }
    this.emit('create', network);
    return network;
  }

  async list(): Promise<NetworkRecord[]> {
    return this.store.networks();
  }

  async inspect(nameOrId: string): Promise<NetworkInspect> {
    const network = this.store.findNetwork(nameOrId);
    const containers: NetworkInspect['containers'] = {};
    for (const { endpoint, containerName, active } of this.store.endpointsOnNetwork(network.id)) {
      if (!active) continue;
      containers[endpoint.containerId] = { name: containerName, ip: endpoint.ip, mac: endpoint.mac, aliases: endpoint.aliases };
    }
    return { ...network, containers };
  }

  async remove(nameOrId: string): Promise<void> {
    const network = this.usableNetwork(nameOrId);
    if (network.isDefault) {
      throw new MarinaError('Forbidden', `${network.name} is the default network and cannot be removed; it goes with marinad's --bridge`);
    }
    const users = this.store.endpointsOnNetwork(network.id).filter((e) => e.active);
    if (users.length > 0) {
      const names = users.map((e) => e.containerName).join(', ');
      throw conflict(
        `error while removing network: network ${network.name} has active endpoints (${names}); stop those containers or disconnect them first`,
      );
    }
    this.removing.add(network.id);
    try {
      await this.dns.stop(network.id);
      await this.driver.removeNetwork(network);
      this.store.deleteNetwork(network.id);
    } finally {
      this.removing.delete(network.id);
    }
    this.emit('destroy', network);
  }

  async prune(): Promise<string[]> {
    const removed: string[] = [];
    for (const network of this.store.networks()) {
      if (network.isDefault || this.store.endpointsOnNetwork(network.id).some((e) => e.active)) continue;
      try {
        await this.remove(network.id);
        removed.push(network.name);
      } catch (err) {
        // A container joined it meanwhile, or another removal got there first: not unused any more.
        if (!isMarinaError(err, 'Conflict') && !isMarinaError(err, 'NotFound')) throw err;
      }
    }
    return removed;
  }

  async checkPortsFree(ports: readonly PortRequest[]): Promise<void> {
    const fixed = ports.map(hostPortOf).filter((p) => p.hostPort !== 0);
    const probe = `check:${randomBytes(8).toString('hex')}`;
    await this.reservations.reserve(probe, fixed);
    await this.reservations.release(probe);
  }

  async attach(request: AttachRequest): Promise<AttachResult> {
    const { containerId } = request;
    const networks = this.networksToJoin(request);
    const hostPorts = request.ports.map(hostPortOf);
    if (hostPorts.length > 0 && networks[0]!.internal) {
      throw invalid(`cannot publish ports on the internal network ${networks[0]!.name}: it has no route to or from the host`);
    }
    // A run that was never detached (marinad died meanwhile) must not keep its ports or endpoints.
    if (this.endpoints(containerId).length > 0 || this.ports(containerId).length > 0) await this.detach(containerId);

    const reserved = await this.reservations.reserve(containerId, hostPorts);
    let recorded: { endpoints: EndpointRecord[]; bindings: PortBinding[]; newLeases: string[] };
    try {
      recorded = this.db.transaction(() => this.recordAttach(request, networks, reserved));
    } catch (err) {
      await this.reservations.release(containerId);
      throw err;
    }

    const { endpoints, bindings } = recorded;
    const published: PortBinding[] = [];
    try {
      for (const [i, endpoint] of endpoints.entries()) await this.driver.attach(networks[i]!, endpoint, request.netnsPath);
      for (const binding of bindings) {
        await this.driver.publish(networks[0]!, endpoints[0]!, binding);
        published.push(binding);
      }
      await this.refreshDns(networks);
    } catch (err) {
      await this.undoAttach(containerId, networks, recorded, published);
      throw err;
    }
    for (const network of networks) this.emit('connect', network, containerId);
    const firstUserNetwork = networks.find((n) => !n.isDefault);
    return { endpoints, ports: bindings, nameservers: firstUserNetwork ? [firstUserNetwork.gateway] : [] };
  }

  async detach(containerId: string): Promise<void> {
    const active = this.store.endpointsOfContainer(containerId).filter((e) => e.active);
    const bindings = this.store.portBindingsOfContainer(containerId);
    const failures: string[] = [];
    const attempt = async (what: string, step: () => Promise<void>) => {
      try {
        await step();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    };
    for (const stored of bindings) {
      const { network, endpoint } = this.bindingTarget(stored);
      if (network && endpoint) await attempt('unpublish', () => this.driver.unpublish(network, endpoint, stored.binding));
    }
    await this.reservations.release(containerId);
    for (const { endpoint } of active) await attempt('detach', () => this.driver.detach(endpoint));
    this.db.transaction(() => {
      this.store.deletePortBindings(containerId);
      for (const { endpoint } of active) this.store.setActive(containerId, endpoint.networkId, false);
    });
    const left = this.networksOf(active);
    await attempt('dns', () => this.refreshDns(left));
    // The endpoints are inactive now, whatever cleanup failed: the container has left these networks.
    for (const network of left) this.emit('disconnect', network, containerId);
    if (failures.length > 0) {
      throw new MarinaError(
        'Internal',
        `container ${shortId(containerId)} left its networks, but cleaning up failed (${failures.join('; ')}); restarting marinad reconciles what is left`,
      );
    }
  }

  async release(containerId: string): Promise<void> {
    if (this.endpoints(containerId).length > 0 || this.ports(containerId).length > 0) await this.detach(containerId);
    this.db.transaction(() => {
      for (const { endpoint } of this.store.endpointsOfContainer(containerId)) this.store.deleteEndpoint(containerId, endpoint.networkId);
    });
  }

  async connect(
    nameOrId: string,
    containerId: string,
    containerName: string,
    netnsPath: string,
    aliases: string[],
  ): Promise<EndpointRecord> {
    const network = this.usableNetwork(nameOrId);
    const active = this.endpoints(containerId);
    if (active.some((e) => e.networkId === network.id)) {
      throw conflict(`container ${containerName} is already connected to network ${network.name}`);
    }
    const usedNames = new Set(active.map((e) => e.ifName));
    let n = 0;
    while (usedNames.has(`eth${n}`)) n++;
    const { endpoint, isNewLease } = this.db.transaction(() =>
      this.leaseEndpoint(network, { containerId, containerName, ifName: `eth${n}`, aliases }),
    );
    try {
      await this.driver.attach(network, endpoint, netnsPath);
      await this.refreshDns([network]);
    } catch (err) {
      await this.driver.detach(endpoint).catch(() => {});
      if (isNewLease) this.store.deleteEndpoint(containerId, network.id);
      else this.store.setActive(containerId, network.id, false);
      await this.refreshDns([network]).catch(() => {});
      throw err;
    }
    this.emit('connect', network, containerId);
    return endpoint;
  }

  async disconnect(nameOrId: string, containerId: string): Promise<void> {
    const network = this.store.findNetwork(nameOrId);
    const stored = this.store.endpointsOfContainer(containerId).find((e) => e.endpoint.networkId === network.id);
    if (!stored) throw notFound(`container ${shortId(containerId)} is not connected to network ${network.name}`);
    const bindings = this.store.portBindingsOfContainer(containerId).filter((b) => b.networkId === network.id);
    for (const { binding } of bindings) await this.driver.unpublish(network, stored.endpoint, binding);
    await this.reservations.release(containerId, bindings.map((b) => hostPortOf(b.binding)));
    if (stored.active) await this.driver.detach(stored.endpoint);
    this.store.deleteEndpoint(containerId, network.id);
    await this.refreshDns([network]);
    this.emit('disconnect', network, containerId);
  }

  async renameContainer(containerId: string, name: string): Promise<EndpointRecord[]> {
    const renamed = this.store.endpointsOfContainer(containerId).map((stored) => ({
      ...stored,
      containerName: name,
      endpoint: { ...stored.endpoint, aliases: renamedAliases(stored.endpoint.aliases, stored.containerName, name) },
    }));
    this.db.transaction(() => {
      for (const stored of renamed) this.store.putEndpoint(stored);
    });
    const active = renamed.filter((stored) => stored.active);
    await this.refreshDns(this.networksOf(active));
    return active.map((stored) => stored.endpoint);
  }

  ports(containerId: string): PortBinding[] {
    return this.store.portBindingsOfContainer(containerId).map((b) => b.binding);
  }

  endpoints(containerId: string): EndpointRecord[] {
    return this.store
      .endpointsOfContainer(containerId)
      .filter((e) => e.active)
      .map((e) => e.endpoint);
  }

  /**
   * Daemon start: makes records, kernel, port reservations and DNS agree with the containers that are
   * running now. Containers that stopped while marinad was down lose their port bindings (as a detach
   * would); their address leases stay until release.
   */
  async reconcile(running: { containerId: string; netnsPath: string }[]): Promise<void> {
    const netnsOf = new Map(running.map((r) => [r.containerId, r.netnsPath]));
    this.db.transaction(() => {
      for (const { endpoint } of this.store.activeEndpoints()) {
        if (!netnsOf.has(endpoint.containerId)) this.store.setActive(endpoint.containerId, endpoint.networkId, false);
      }
      for (const { containerId } of this.store.allPortBindings()) {
        if (!netnsOf.has(containerId)) this.store.deletePortBindings(containerId);
      }
    });
    const networks = this.store.networks();
    const endpoints = this.store.activeEndpoints();
    const bindings = this.store.allPortBindings();
    const desired: DesiredNetworkState = {
      networks,
      endpoints: endpoints.map(({ endpoint }) => ({ endpoint, netnsPath: netnsOf.get(endpoint.containerId)! })),
      ports: bindings.flatMap((stored) => {
        const { endpoint } = this.bindingTarget(stored);
        return endpoint ? [{ endpoint, binding: stored.binding }] : [];
      }),
    };
    await this.driver.reconcile(desired);
    for (const { containerId, binding } of bindings) await this.retakeReservation(containerId, hostPortOf(binding));
    await this.refreshDns(networks);
  }

  private async retakeReservation(containerId: string, port: HostPort): Promise<void> {
    const held = this.reservations.reservedBy(containerId);
    if (held.some((h) => h.protocol === port.protocol && h.hostIp === port.hostIp && h.hostPort === port.hostPort)) return;
    try {
      await this.reservations.reserve(containerId, [port]);
    } catch (err) {
      this.warn(
        `container ${shortId(containerId)}: published port ${port.hostIp}:${port.hostPort}/${port.protocol} still forwards, but could not be held: ${(err as Error).message}`,
      );
    }
  }

  /** The default network's record, made on first start and kept in step with --bridge/--bridge-subnet. */
  private ensureDefaultNetwork(settings: NetworkServiceOptions['defaultNetwork']): void {
    const subnet = parseSubnet(settings.subnet, 'bridge subnet');
    const wanted = { bridge: settings.bridge, subnet: formatCidr(subnet), gateway: defaultGateway(subnet) };
    this.db.transaction(() => {
      const existing = this.store.networks();
      const current = existing.find((n) => n.isDefault);
      checkNoOverlap(subnet, existing.filter((n) => !n.isDefault), 'bridge subnet');
      if (!current) {
        this.store.insertNetwork({
          id: generateId(),
          name: settings.name,
          driver: 'bridge',
          ...wanted,
          internal: false,
          isDefault: true,
          labels: {},
          created: new Date().toISOString(),
        });
        return;
      }
      if (current.bridge === wanted.bridge && current.subnet === wanted.subnet) return;
      const leases = this.store.endpointsOnNetwork(current.id);
      if (leases.some((e) => e.active)) {
        throw conflict(
          `the default network still has running containers on ${current.bridge} (${current.subnet}): stop them before changing --bridge or --bridge-subnet`,
        );
      }
      // Stopped containers' addresses belong to the old subnet; they get new ones at their next start.
      for (const { endpoint } of leases) this.store.deleteEndpoint(endpoint.containerId, current.id);
      this.store.updateNetworkAddressing(current.id, wanted);
    });
  }

  private carveFromPool(existing: readonly NetworkRecord[], hostRoutes: readonly Cidr[]): Cidr {
    const taken = [...existing.map((n) => parseSubnet(n.subnet)), ...hostRoutes];
    const subnet = carveSubnet(this.pool, taken);
    if (!subnet) {
      throw conflict(
        `no free subnet left in the network pool ${formatCidr(this.pool)} (all overlap networks or host routes): pass --subnet, or remove unused networks with marina network prune`,
      );
    }
    return subnet;
  }

  private nextBridgeName(existing: readonly NetworkRecord[]): string {
    const taken = new Set(existing.map((n) => n.bridge));
    let n = 0;
    while (taken.has(userBridgeName(this.daemonTag, n))) n++;
    return userBridgeName(this.daemonTag, n);
  }

  private usableNetwork(nameOrId: string): NetworkRecord {
    const network = this.store.findNetwork(nameOrId);
    if (this.removing.has(network.id)) throw conflict(`network ${network.name} is being removed`);
    return network;
  }

  private networksToJoin(request: AttachRequest): NetworkRecord[] {
    if (request.networks.length === 0) throw invalid('a container joins at least one network: name one, or use --network none');
    const networks = request.networks.map((n) => this.usableNetwork(n.nameOrId));
    const seen = new Set<string>();
    for (const network of networks) {
      if (seen.has(network.id)) throw invalid(`network ${network.name} is given twice: join each network once`);
      seen.add(network.id);
    }
    return networks;
  }

  /** One transaction: an address on each network (the container's lease when it has one) and the port bindings. */
  private recordAttach(request: AttachRequest, networks: readonly NetworkRecord[], reserved: readonly HostPort[]) {
    const endpoints: EndpointRecord[] = [];
    const newLeases: string[] = [];
    for (const [i, network] of networks.entries()) {
      const { endpoint, isNewLease } = this.leaseEndpoint(network, {
        containerId: request.containerId,
        containerName: request.containerName,
        ifName: `eth${i}`,
        aliases: request.networks[i]!.aliases,
      });
      endpoints.push(endpoint);
      if (isNewLease) newLeases.push(network.id);
    }
    const bindings = reserved.map((port, i): PortBinding => ({ ...port, containerPort: request.ports[i]!.containerPort }));
    for (const binding of bindings) {
      this.store.insertPortBinding({ containerId: request.containerId, networkId: networks[0]!.id, binding });
    }
    return { endpoints, bindings, newLeases };
  }

  /** Call inside a transaction. Reuses the container's address on `network` if it has one. */
  private leaseEndpoint(
    network: NetworkRecord,
    join: { containerId: string; containerName: string; ifName: string; aliases: readonly string[] },
  ): { endpoint: EndpointRecord; isNewLease: boolean } {
    const lease = this.store.endpointsOfContainer(join.containerId).find((e) => e.endpoint.networkId === network.id);
    const subnet = parseSubnet(network.subnet);
    const ip = lease?.endpoint.ip ?? nextFreeAddress(subnet, network.gateway, this.store.leasedAddresses(network.id));
    if (!ip) throw conflict(`network ${network.name} has no free address left in ${network.subnet}: remove containers from it or use another network`);
    const endpoint: EndpointRecord = {
      networkId: network.id,
      containerId: join.containerId,
      ifName: join.ifName,
      hostIfName: hostVethName(this.daemonTag, join.containerId, network.id),
      ip,
      prefixLength: subnet.prefixLength,
      gateway: network.gateway,
      mac: macFromIp(ip),
      aliases: [...new Set([join.containerName, shortId(join.containerId), ...join.aliases])],
    };
    this.store.putEndpoint({ endpoint, containerName: join.containerName, active: true });
    return { endpoint, isNewLease: !lease };
  }

  private async undoAttach(
    containerId: string,
    networks: readonly NetworkRecord[],
    recorded: { endpoints: EndpointRecord[]; bindings: PortBinding[]; newLeases: string[] },
    published: readonly PortBinding[],
  ): Promise<void> {
    for (const binding of published) await this.driver.unpublish(networks[0]!, recorded.endpoints[0]!, binding).catch(() => {});
    // Detach every endpoint: one that failed half way may have left its veth.
    for (const endpoint of recorded.endpoints) await this.driver.detach(endpoint).catch(() => {});
    await this.reservations.release(containerId);
    this.db.transaction(() => {
      this.store.deletePortBindings(containerId);
      for (const endpoint of recorded.endpoints) {
        if (recorded.newLeases.includes(endpoint.networkId)) this.store.deleteEndpoint(containerId, endpoint.networkId);
        else this.store.setActive(containerId, endpoint.networkId, false);
      }
    });
    await this.refreshDns(networks).catch(() => {});
  }

  /** The DNS of each user network answers for exactly its running endpoints. */
  private async refreshDns(networks: readonly NetworkRecord[]): Promise<void> {
    const done = new Set<string>();
    for (const network of networks) {
      if (network.isDefault || done.has(network.id)) continue;
      done.add(network.id);
      const endpoints = this.store
        .endpointsOnNetwork(network.id)
        .filter((e) => e.active)
        .map((e) => e.endpoint);
      await this.dns.update(network, dnsNamesOfEndpoints(endpoints));
    }
  }

  private networksOf(endpoints: readonly StoredEndpoint[]): NetworkRecord[] {
    return endpoints.flatMap(({ endpoint }) => this.store.network(endpoint.networkId) ?? []);
  }

  private bindingTarget(stored: StoredBinding): { network?: NetworkRecord; endpoint?: EndpointRecord } {
    const endpoint = this.store
      .endpointsOfContainer(stored.containerId)
      .find((e) => e.endpoint.networkId === stored.networkId)?.endpoint;
    const network = this.store.network(stored.networkId);
    return { ...(network && { network }), ...(endpoint && { endpoint }) };
  }
}

function checkNoOverlap(subnet: Cidr, existing: readonly NetworkRecord[], what = 'subnet'): Cidr {
  const clash = existing.find((n) => overlaps(parseSubnet(n.subnet), subnet));
  if (clash) {
    throw conflict(`${what} ${formatCidr(subnet)} overlaps with network ${clash.name} (${clash.subnet}): choose another subnet`);
  }
  return subnet;
}

/** The host side of a port request or binding; API input is checked here too, not only by the CLI's parser. */
function hostPortOf(port: PortRequest | PortBinding): HostPort {
  const hostIp = port.hostIp ?? anyHostIp;
  const hostPort = port.hostPort ?? 0;
  if (!isIpv4(hostIp)) throw invalid(`cannot publish on "${hostIp}": give an IPv4 address of this host, or leave it out for all`);
  if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) throw invalid(`host port ${hostPort} is out of range: use 1 to 65535, or 0 for any`);
  if (!Number.isInteger(port.containerPort) || port.containerPort < 1 || port.containerPort > 65535) {
    throw invalid(`container port ${port.containerPort} is out of range: use 1 to 65535`);
  }
  if (port.protocol !== 'tcp' && port.protocol !== 'udp') throw invalid(`unsupported protocol "${port.protocol}": use tcp or udp`);
  return { protocol: port.protocol, hostIp, hostPort };
}
