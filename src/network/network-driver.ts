/**
 * The kernel side of a network: bridges, veth pairs, addresses, routes and iptables rules. The bridge
 * driver implements it with iproute2 and iptables; a VXLAN overlay between nodes (a later issue) is
 * another implementation of the same role. Every method is idempotent, so a retry after a crash or a
 * reconcile at start converges instead of failing on what already exists.
 */
import type { EndpointRecord, NetworkRecord, PortBinding } from './network-types.ts';

/** Everything that should exist in the kernel, as the state database says. */
export interface DesiredNetworkState {
  networks: NetworkRecord[];
  /** Endpoints of running containers, with the netns they live in. */
  endpoints: { endpoint: EndpointRecord; netnsPath: string }[];
  ports: { endpoint: EndpointRecord; binding: PortBinding }[];
}

export interface NetworkDriver {
  /** Creates the bridge, its address and its iptables rules (masquerade, isolation, internal). */
  ensureNetwork(network: NetworkRecord): Promise<void>;
  /** Removes the bridge and its rules. */
  removeNetwork(network: NetworkRecord): Promise<void>;
  /** Creates the veth pair, moves one end into `netnsPath` as `endpoint.ifName`, sets address, MAC, routes, lo up. */
  attach(network: NetworkRecord, endpoint: EndpointRecord, netnsPath: string): Promise<void>;
  /** Deletes the host side of the veth (the container side goes with it); no-op when gone. */
  detach(endpoint: EndpointRecord): Promise<void>;
  /** DNAT rules for a published port (from other hosts, from the host itself incl. 127.0.0.1, from containers). */
  publish(network: NetworkRecord, endpoint: EndpointRecord, binding: PortBinding): Promise<void>;
  unpublish(network: NetworkRecord, endpoint: EndpointRecord, binding: PortBinding): Promise<void>;
  /**
   * Makes the kernel match `desired` exactly for what this daemon owns: creates what is missing and
   * removes stale bridges, veths and rules (those carrying this daemon's marks and names only).
   */
  reconcile(desired: DesiredNetworkState): Promise<void>;
}
