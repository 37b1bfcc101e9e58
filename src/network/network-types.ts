/**
 * Container networking as the engine, the API and the drivers share it. A network is a Linux bridge
 * with a subnet; a container joins it through an endpoint (a veth pair, an address from the network's
 * IPAM, DNS names); published ports map host ports to an endpoint's address.
 */

export interface NetworkRecord {
  /** 64 hex, like Docker's network ids. */
  id: string;
  name: string;
  driver: 'bridge';
  /** The Linux bridge device (≤ 15 characters). */
  bridge: string;
  /** IPv4 CIDR, e.g. `10.89.0.0/24`. */
  subnet: string;
  gateway: string;
  /** No route out: no masquerade, no traffic to or from other networks or the host's uplinks. */
  internal: boolean;
  /** The daemon's default network (`bridge`): no embedded DNS by name, as Docker's default bridge. */
  isDefault: boolean;
  labels: Record<string, string>;
  created: string;
}

export interface PortBinding {
  protocol: 'tcp' | 'udp';
  containerPort: number;
  /** `0.0.0.0` (all host addresses, the default) or one of the host's addresses. */
  hostIp: string;
  /** The host port actually bound (an ephemeral one when the request left it open). */
  hostPort: number;
}

export interface PortRequest {
  protocol: 'tcp' | 'udp';
  containerPort: number;
  hostIp?: string;
  /** Omitted or 0: pick a free ephemeral port. */
  hostPort?: number;
}

export interface EndpointRecord {
  networkId: string;
  containerId: string;
  /** Interface name inside the container: eth0, eth1, … */
  ifName: string;
  /** Host side of the veth pair. */
  hostIfName: string;
  ip: string;
  /** Prefix length of the network, e.g. 24. */
  prefixLength: number;
  gateway: string;
  mac: string;
  /** Names this container answers to on this network: its name, its short id, and --network-alias values. */
  aliases: string[];
}

/** What the engine asks for when it starts a container with networking. */
export interface AttachRequest {
  containerId: string;
  containerName: string;
  /** The container's network namespace, e.g. `/proc/<pid>/ns/net` of its init process (after create, before start). */
  netnsPath: string;
  /** Networks to join, in order (the first gets eth0 and the default route). */
  networks: { nameOrId: string; aliases: string[] }[];
  ports: PortRequest[];
}

export interface AttachResult {
  endpoints: EndpointRecord[];
  ports: PortBinding[];
  /** `nameserver` lines for the container's resolv.conf (the embedded DNS on user networks). */
  nameservers: string[];
}
