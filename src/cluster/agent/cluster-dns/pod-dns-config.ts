/**
 * A pod's resolv.conf settings from its dnsPolicy and dnsConfig, as the kubelet decides them
 * (pkg/kubelet/network/dns):
 * - ClusterFirst (the default): the cluster DNS as the only nameserver (it forwards other names to the
 *   host's resolvers), the search list `NS.svc.cluster.local svc.cluster.local cluster.local` then the
 *   host's search domains, and `options ndots:5`, so `web` and `web.NS` find their Service at once. A
 *   pod on the host's network gets Default instead, unless it says ClusterFirstWithHostNet. Without a
 *   cluster DNS on the node, the kubelet falls back to Default too.
 * - Default: the node's resolv.conf.
 * - None: nothing but the pod's dnsConfig.
 * Then dnsConfig is merged in: its nameservers and searches appended (each once), its options replacing
 * options of the same name. The result is cut to what resolvers read (3 nameservers, 32 search domains).
 */
import type { Pod } from '../../resources/pod-schemas.ts';
import { maxDnsNameservers, maxDnsSearchPaths } from '../../resources/validate-pod.ts';
import { clusterDomain } from './cluster-dns-records.ts';

/** The lines of a resolv.conf. */
export interface DnsSettings {
  nameservers: string[];
  searches: string[];
  /** `name` or `name:value`. */
  options: string[];
}

/** Kubernetes' options for a pod that resolves through the cluster DNS. */
const clusterFirstOptions = ['ndots:5'];

/**
 * The pod's resolv.conf settings, or `undefined` when it simply gets the node's resolv.conf (policy
 * Default, or ClusterFirst without a cluster DNS, and no dnsConfig). `host` is the node's resolv.conf.
 */
export function podDnsConfig(
  pod: Pod,
  clusterDnsAddress: string | undefined,
  host: DnsSettings,
): DnsSettings | undefined {
  const policy = effectivePolicy(pod, clusterDnsAddress);
  const config = pod.spec.dnsConfig;
  if (policy === 'Default' && config === undefined) return undefined;
  const base: DnsSettings =
    policy === 'None'
      ? { nameservers: [], searches: [], options: [] }
      : policy === 'Default'
        ? host
        : {
            nameservers: [clusterDnsAddress ?? ''],
            searches: [...clusterSearches(pod.metadata.namespace ?? 'default'), ...host.searches],
            options: clusterFirstOptions,
          };
  const merged: DnsSettings = {
    nameservers: unique([...base.nameservers, ...(config?.nameservers ?? [])]),
    searches: unique([...base.searches, ...(config?.searches ?? [])]),
    options: mergedOptions(base.options, config?.options ?? []),
  };
  return {
    ...merged,
    nameservers: merged.nameservers.slice(0, maxDnsNameservers),
    searches: merged.searches.slice(0, maxDnsSearchPaths),
  };
}

/** The search domains that make a Service name resolve from a pod of `namespace`, nearest first. */
export function clusterSearches(namespace: string): string[] {
  return [`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain];
}

/** The node's resolv.conf as glibc reads it: nameservers in order, the last search (or domain) line, all options. */
export function parseResolvConf(text: string): DnsSettings {
  const settings: DnsSettings = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const [keyword, ...values] = line
      .replace(/[#;].*/, '')
      .trim()
      .split(/\s+/);
    if (keyword === 'nameserver' && values[0] !== undefined) settings.nameservers.push(values[0]);
    else if (keyword === 'search' || keyword === 'domain') settings.searches = values;
    else if (keyword === 'options') settings.options.push(...values);
  }
  return settings;
}

function effectivePolicy(
  pod: Pod,
  clusterDnsAddress: string | undefined,
): 'ClusterFirst' | 'Default' | 'None' {
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'None') return 'None';
  if (policy === 'Default' || clusterDnsAddress === undefined) return 'Default';
  if (policy === 'ClusterFirst' && pod.spec.hostNetwork === true) return 'Default';
  return 'ClusterFirst';
}

/** Options by name, those of `extra` winning, each where it first appeared. */
function mergedOptions(
  base: readonly string[],
  extra: readonly { name?: string | undefined; value?: string | undefined }[],
): string[] {
  const byName = new Map<string, string>();
  for (const option of base) byName.set(option.split(':')[0] ?? option, option);
  for (const { name, value } of extra) {
    if (!name) continue;
    byName.set(name, value ? `${name}:${value}` : name);
  }
  return [...byName.values()];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
