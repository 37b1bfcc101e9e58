/** The sandbox request fields that give a pod its resolv.conf, with the node's resolv.conf read from disk. */
import type { SandboxCreateRequest } from '../../../engine/sandbox-types.ts';
import { readTextOrEmpty } from '../../../read-text.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { parseResolvConf, podDnsConfig } from './pod-dns-config.ts';

export type SandboxDnsFields = Pick<SandboxCreateRequest, 'dns' | 'dnsSearch' | 'dnsOptions'>;

/** None when the pod gets the node's resolv.conf as it is, which the sandbox writes by default. */
export async function sandboxDnsFields(
  pod: Pod,
  clusterDnsAddress: string | undefined,
): Promise<SandboxDnsFields> {
  const host = parseResolvConf(await readTextOrEmpty('/etc/resolv.conf'));
  const settings = podDnsConfig(pod, clusterDnsAddress, host);
  if (settings === undefined) return {};
  return { dns: settings.nameservers, dnsSearch: settings.searches, dnsOptions: settings.options };
}
