/**
 * Pod sandboxes: a network namespace with its own address, hostname and /etc files that several
 * containers join (ContainerCreateRequest.sandbox), as the containers of one pod do. The node agent makes
 * one per pod through the Engine's SandboxService.
 */
import type { EndpointRecord, PortBinding, PortRequest } from '../network/network-types.ts';

export interface SandboxCreateRequest {
  /** Letters, digits, `_`, `.`, `-` (≤ 64); a random 64-hex id when omitted. */
  id?: string;
  /** The sandbox's hostname, and its DNS name on a user network. */
  name: string;
  /** A Marina network's name or id (default: the default bridge network). */
  network?: string;
  labels?: Record<string, string>;
  /** Nameservers for its resolv.conf instead of the network's. */
  dns?: string[];
  /** Search domains for its resolv.conf instead of the host's (`[]`: none), like `--dns-search`. */
  dnsSearch?: string[];
  /** Resolver options (`ndots:5`) for its resolv.conf instead of the host's (`[]`: none), like `--dns-option`. */
  dnsOptions?: string[];
  /** Extra /etc/hosts lines as `host:ip`. */
  extraHosts?: string[];
  /** Host ports published to the sandbox's address (like `-p`). */
  ports?: PortRequest[];
}

/**
 * `creating` and `removing` are on the way in and out: a row left in either by a crash is torn down at
 * the next start. `broken`: its namespace vanished (host reboot) and could not be made again (`error`
 * says why); containers cannot join it until it is removed and created anew.
 */
export type SandboxStatus = 'creating' | 'ready' | 'broken' | 'removing';

export interface SandboxEtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

export interface SandboxRecord {
  id: string;
  /** Its hostname. */
  name: string;
  created: string;
  /** As accepted: `network` is the network's name. */
  request: SandboxCreateRequest & { network: string };
  status: SandboxStatus;
  error: string;
  /** The named network namespace (`ip netns`) and its path, which joining containers' specs name. */
  netnsName: string;
  netnsPath: string;
  /** Its address on its network ('' until it has one). */
  ip: string;
  endpoints: EndpointRecord[];
  ports: PortBinding[];
  /** Host files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf of its containers. */
  etcFiles: SandboxEtcFiles;
}
