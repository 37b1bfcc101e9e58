/**
 * Networks as users and the engine see them. The API calls the user-facing half (create, list, …);
 * the engine calls `attach`/`detach`/`release` around a container's life. Records (networks, address
 * leases, port bindings) live in the state database, so no address or port is handed out twice, also
 * across restarts; the kernel objects are made to match them by a NetworkDriver.
 */
import type { AttachRequest, AttachResult, EndpointRecord, NetworkRecord, PortBinding, PortRequest } from './network-types.ts';

export interface NetworkCreateRequest {
  name: string;
  /** Omitted: the next free /24 from the daemon's pool that overlaps no other network and no host route. */
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

export interface NetworkInspect extends NetworkRecord {
  /** Containers attached, by container id. */
  containers: Record<string, { name: string; ip: string; mac: string; aliases: string[] }>;
}

export interface NetworkService {
  /** `Invalid` for a bad CIDR or gateway; `Conflict` for a taken name or an overlapping subnet. */
  create(request: NetworkCreateRequest): Promise<NetworkRecord>;
  list(): Promise<NetworkRecord[]>;
  inspect(nameOrId: string): Promise<NetworkInspect>;
  /** `Conflict` while a container is attached; the default network cannot be removed (`Forbidden`). */
  remove(nameOrId: string): Promise<void>;
  /** Removes user networks no container uses; returns their names. */
  prune(): Promise<string[]>;

  /**
   * Engine, at create: `Conflict` when a fixed host port is taken now (by anything, our own containers
   * included), so `run -p` on a taken port fails before a container exists. `attach` checks again.
   */
  checkPortsFree(ports: readonly PortRequest[]): Promise<void>;
  /** Engine: joins a created (not yet started) container to its networks and publishes its ports. Undoes everything on failure. */
  attach(request: AttachRequest): Promise<AttachResult>;
  /** Engine: the container stopped; its veths are gone with its netns, its port rules go now. Leases are kept until `release`. */
  detach(containerId: string): Promise<void>;
  /** Engine: the container was removed; its address leases and port bindings are freed. */
  release(containerId: string): Promise<void>;
  /** `marina network connect` on a running container: one more endpoint in its netns. */
  connect(nameOrId: string, containerId: string, containerName: string, netnsPath: string, aliases: string[]): Promise<EndpointRecord>;
  disconnect(nameOrId: string, containerId: string): Promise<void>;
  /**
   * Engine: the container is now called `name`. Its endpoints, running or kept for its next start, answer
   * to it instead of its old name, at once on running ones. Returns its running endpoints, renamed.
   */
  renameContainer(containerId: string, name: string): Promise<EndpointRecord[]>;
  /** Engine, at daemon start: rules, port reservations and DNS made to match the containers still running. */
  reconcile(running: { containerId: string; netnsPath: string }[]): Promise<void>;
  /** What `marina port` and `ps` show. */
  ports(containerId: string): PortBinding[];
  endpoints(containerId: string): EndpointRecord[];
}
