/**
 * The network part's tables in the state database: networks, endpoints (address leases) and port
 * bindings. Uniqueness lives in the schema where SQL can say it (one address per network, one endpoint
 * per container and network, one host veth name), and in code, inside the caller's transaction, where
 * it cannot: a binding on 0.0.0.0 collides with every specific address on the same port.
 *
 * An endpoint row is a lease: it outlives a stop (`active = 0`) so a restarted container keeps its
 * address, and goes at release. Removing a network removes the leases of stopped containers on it.
 */
import type { StateDb } from '../db/state-db.ts';
import { conflict, notFound } from '../errors.ts';
import { shortId } from '../ids.ts';
import type { EndpointRecord, NetworkRecord, PortBinding } from './network-types.ts';

const migrations = [
  `CREATE TABLE networks (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     bridge TEXT NOT NULL UNIQUE,
     subnet TEXT NOT NULL,
     gateway TEXT NOT NULL,
     internal INTEGER NOT NULL,
     is_default INTEGER NOT NULL,
     labels TEXT NOT NULL,
     created TEXT NOT NULL
   );
   CREATE TABLE network_endpoints (
     network_id TEXT NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
     container_id TEXT NOT NULL,
     container_name TEXT NOT NULL,
     if_name TEXT NOT NULL,
     host_if_name TEXT NOT NULL UNIQUE,
     ip TEXT NOT NULL,
     mac TEXT NOT NULL,
     aliases TEXT NOT NULL,
     active INTEGER NOT NULL,
     PRIMARY KEY (container_id, network_id),
     UNIQUE (network_id, ip)
   );
   CREATE TABLE network_port_bindings (
     container_id TEXT NOT NULL,
     network_id TEXT NOT NULL,
     protocol TEXT NOT NULL,
     host_ip TEXT NOT NULL,
     host_port INTEGER NOT NULL,
     container_port INTEGER NOT NULL,
     FOREIGN KEY (container_id, network_id) REFERENCES network_endpoints (container_id, network_id) ON DELETE CASCADE,
     UNIQUE (protocol, host_ip, host_port)
   );`,
];

export const anyHostIp = '0.0.0.0';

interface NetworkRow {
  id: string;
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  internal: number;
  is_default: number;
  labels: string;
  created: string;
}

interface EndpointRow {
  network_id: string;
  container_id: string;
  container_name: string;
  if_name: string;
  host_if_name: string;
  ip: string;
  mac: string;
  aliases: string;
  active: number;
  subnet: string;
  gateway: string;
}

interface BindingRow {
  container_id: string;
  network_id: string;
  protocol: 'tcp' | 'udp';
  host_ip: string;
  host_port: number;
  container_port: number;
}

/** An endpoint as stored: the record plus who holds it and whether its container runs. */
export interface StoredEndpoint {
  endpoint: EndpointRecord;
  containerName: string;
  active: boolean;
}

/** A published port and the network whose endpoint it forwards to. */
export interface StoredBinding {
  containerId: string;
  networkId: string;
  binding: PortBinding;
}

// eth2 before eth10.
const byInterfaceNumber = "CAST(substr(e.if_name, 4) AS INTEGER)";
const endpointSelect = `SELECT e.*, n.subnet, n.gateway FROM network_endpoints e JOIN networks n ON n.id = e.network_id`;

export class NetworkStore {
  private readonly db: StateDb;

  constructor(db: StateDb) {
    this.db = db;
    db.migrate('network', migrations);
  }

  networks(): NetworkRecord[] {
    return this.db.all<NetworkRow>('SELECT * FROM networks ORDER BY name').map(toNetwork);
  }

  network(id: string): NetworkRecord | undefined {
    const row = this.db.get<NetworkRow>('SELECT * FROM networks WHERE id = ?', id);
    return row ? toNetwork(row) : undefined;
  }

  /** By exact id, then exact name, then unique id prefix, like Docker. */
  findNetwork(nameOrId: string): NetworkRecord {
    const key = nameOrId.trim();
    const exact =
      this.db.get<NetworkRow>('SELECT * FROM networks WHERE id = ?', key) ??
      this.db.get<NetworkRow>('SELECT * FROM networks WHERE name = ?', key);
    if (exact) return toNetwork(exact);
    const matches = /^[0-9a-f]+$/.test(key)
      ? this.db.all<NetworkRow>("SELECT * FROM networks WHERE id LIKE ? || '%' LIMIT 2", key)
      : [];
    if (matches.length === 1) return toNetwork(matches[0]!);
    if (matches.length > 1) throw conflict(`network id prefix "${key}" matches several networks: give more characters or the name`);
    throw notFound(`network ${nameOrId} not found: list networks with marina network ls`);
  }

  /** `Conflict` when the name is taken; subnet overlap is the caller's check, in the same transaction. */
  insertNetwork(network: NetworkRecord): void {
    this.db.transaction(() => {
      if (this.db.get('SELECT 1 FROM networks WHERE name = ?', network.name)) {
        throw conflict(`network with name ${network.name} already exists: choose another name`);
      }
      this.db.run(
        `INSERT INTO networks (id, name, bridge, subnet, gateway, internal, is_default, labels, created)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        network.id,
        network.name,
        network.bridge,
        network.subnet,
        network.gateway,
        network.internal ? 1 : 0,
        network.isDefault ? 1 : 0,
        JSON.stringify(network.labels),
        network.created,
      );
    });
  }

  /** Changes the kernel-facing settings of a network (the default network's, from daemon flags). */
  updateNetworkAddressing(id: string, settings: { bridge: string; subnet: string; gateway: string }): void {
    this.db.run('UPDATE networks SET bridge = ?, subnet = ?, gateway = ? WHERE id = ?', settings.bridge, settings.subnet, settings.gateway, id);
  }

  /** Also drops the leases of stopped containers on it. */
  deleteNetwork(id: string): void {
    this.db.run('DELETE FROM networks WHERE id = ?', id);
  }

  endpointsOfContainer(containerId: string): StoredEndpoint[] {
    return this.db.all<EndpointRow>(`${endpointSelect} WHERE e.container_id = ? ORDER BY ${byInterfaceNumber}`, containerId).map(toStoredEndpoint);
  }

  endpointsOnNetwork(networkId: string): StoredEndpoint[] {
    return this.db.all<EndpointRow>(`${endpointSelect} WHERE e.network_id = ? ORDER BY e.ip`, networkId).map(toStoredEndpoint);
  }

  activeEndpoints(): StoredEndpoint[] {
    return this.db.all<EndpointRow>(`${endpointSelect} WHERE e.active = 1 ORDER BY e.container_id, ${byInterfaceNumber}`).map(toStoredEndpoint);
  }

  leasedAddresses(networkId: string): Set<string> {
    return new Set(this.db.all<{ ip: string }>('SELECT ip FROM network_endpoints WHERE network_id = ?', networkId).map((r) => r.ip));
  }

  /** Inserts a new lease or, for the container's existing one on that network, updates everything but the address. */
  putEndpoint(entry: StoredEndpoint): void {
    const { endpoint } = entry;
    this.db.run(
      `INSERT INTO network_endpoints (network_id, container_id, container_name, if_name, host_if_name, ip, mac, aliases, active)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (container_id, network_id) DO UPDATE SET
         container_name = excluded.container_name, if_name = excluded.if_name, host_if_name = excluded.host_if_name,
         mac = excluded.mac, aliases = excluded.aliases, active = excluded.active`,
      endpoint.networkId,
      endpoint.containerId,
      entry.containerName,
      endpoint.ifName,
      endpoint.hostIfName,
      endpoint.ip,
      endpoint.mac,
      JSON.stringify(endpoint.aliases),
      entry.active ? 1 : 0,
    );
  }

  setActive(containerId: string, networkId: string, active: boolean): void {
    this.db.run('UPDATE network_endpoints SET active = ? WHERE container_id = ? AND network_id = ?', active ? 1 : 0, containerId, networkId);
  }

  /** Frees the lease (and the port bindings through it). */
  deleteEndpoint(containerId: string, networkId: string): void {
    this.db.run('DELETE FROM network_endpoints WHERE container_id = ? AND network_id = ?', containerId, networkId);
  }

  /**
   * Records a published port. `Conflict` when another binding holds the same protocol and port on the
   * same host address, or on 0.0.0.0 against a specific one (either way round).
   */
  insertPortBinding(entry: StoredBinding): void {
    const { binding } = entry;
    this.db.transaction(() => {
      const holder = this.db.get<BindingRow>(
        `SELECT * FROM network_port_bindings WHERE protocol = ? AND host_port = ? AND (host_ip = ? OR host_ip = ? OR ? = ?) LIMIT 1`,
        binding.protocol,
        binding.hostPort,
        binding.hostIp,
        anyHostIp,
        binding.hostIp,
        anyHostIp,
      );
      if (holder) {
        throw conflict(
          `port ${binding.hostPort}/${binding.protocol} on ${binding.hostIp} is already published by container ${shortId(holder.container_id)} (on ${holder.host_ip}): choose another host port`,
        );
      }
      this.db.run(
        `INSERT INTO network_port_bindings (container_id, network_id, protocol, host_ip, host_port, container_port)
         VALUES (?, ?, ?, ?, ?, ?)`,
        entry.containerId,
        entry.networkId,
        binding.protocol,
        binding.hostIp,
        binding.hostPort,
        binding.containerPort,
      );
    });
  }

  portBindingsOfContainer(containerId: string): StoredBinding[] {
    return this.db
      .all<BindingRow>('SELECT * FROM network_port_bindings WHERE container_id = ? ORDER BY container_port, protocol, host_ip', containerId)
      .map(toStoredBinding);
  }

  allPortBindings(): StoredBinding[] {
    return this.db.all<BindingRow>('SELECT * FROM network_port_bindings ORDER BY container_id, container_port').map(toStoredBinding);
  }

  deletePortBindings(containerId: string, networkId?: string): void {
    if (networkId === undefined) this.db.run('DELETE FROM network_port_bindings WHERE container_id = ?', containerId);
    else this.db.run('DELETE FROM network_port_bindings WHERE container_id = ? AND network_id = ?', containerId, networkId);
  }
}

function toNetwork(row: NetworkRow): NetworkRecord {
  return {
    id: row.id,
    name: row.name,
    driver: 'bridge',
    bridge: row.bridge,
    subnet: row.subnet,
    gateway: row.gateway,
    internal: row.internal === 1,
    isDefault: row.is_default === 1,
    labels: JSON.parse(row.labels) as Record<string, string>,
    created: row.created,
  };
}

function toStoredEndpoint(row: EndpointRow): StoredEndpoint {
  return {
    endpoint: {
      networkId: row.network_id,
      containerId: row.container_id,
      ifName: row.if_name,
      hostIfName: row.host_if_name,
      ip: row.ip,
      prefixLength: Number(row.subnet.split('/')[1]),
      gateway: row.gateway,
      mac: row.mac,
      aliases: JSON.parse(row.aliases) as string[],
    },
    containerName: row.container_name,
    active: row.active === 1,
  };
}

function toStoredBinding(row: BindingRow): StoredBinding {
  return {
    containerId: row.container_id,
    networkId: row.network_id,
    binding: { protocol: row.protocol, containerPort: row.container_port, hostIp: row.host_ip, hostPort: row.host_port },
  };
}
