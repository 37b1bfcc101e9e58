/** Contents of the per-container /etc/hostname, /etc/hosts and /etc/resolv.conf, as Docker writes them. */
import { isIPv4 } from 'node:net';
import { invalid } from '../errors.ts';

/** Where a container's network namespace comes from and what it joins. */
export type NetworkChoice =
  /** Its own namespace with loopback only. */
  | { kind: 'none' }
  /** The host's namespace. */
  | { kind: 'host' }
  /** Its own namespace, joined to a bridge network: the default one (`bridge`) or a user network. */
  | { kind: 'bridge'; network: string }
  /** Another container's namespace (`--network container:NAME|ID`), with its /etc files and hostname. */
  | { kind: 'container'; container: string }
  /** A pod sandbox's namespace (pod-sandbox.ts), with its /etc files and hostname. */
  | { kind: 'sandbox'; sandbox: string };

export const defaultNetworkName = 'bridge';
const containerModePrefix = 'container:';

/** `sandbox` (a pod sandbox's id) wins over the mode; `checkSharedNamespace` refuses giving both. */
export function networkChoice(mode: string | undefined, sandbox?: string): NetworkChoice {
  if (sandbox !== undefined) return { kind: 'sandbox', sandbox };
  if (mode === undefined || mode === '' || mode === 'default' || mode === defaultNetworkName) {
    return { kind: 'bridge', network: defaultNetworkName };
  }
  if (mode === 'none') return { kind: 'none' };
  if (mode === 'host') return { kind: 'host' };
  if (mode.startsWith(containerModePrefix)) {
    const container = mode.slice(containerModePrefix.length);
    if (container === '') throw invalid('invalid network mode "container:": name the container, as container:NAME or container:ID', { field: 'networkMode' });
    return { kind: 'container', container };
  }
  return { kind: 'bridge', network: mode };
}

/** The network mode a container joining `containerId`'s namespace is recorded with (Docker shows the id). */
export const containerNetworkMode = (containerId: string) => `${containerModePrefix}${containerId}`;

/** What a request may set next to a shared namespace: nothing about the network, which is the owner's. */
export interface SharedNamespaceRequest {
  networkMode?: string;
  hostname?: string;
  dns?: string[];
  extraHosts?: string[];
  ports?: unknown[];
  publishAll?: boolean;
  exposedPorts?: string[];
  networkAliases?: string[];
}

/**
 * A container that shares another's namespace gets its network, hostname and /etc files from it, so
 * settings of its own would be silently ignored: refused instead, with Docker's words for `container:`.
 */
export function checkSharedNamespace(choice: NetworkChoice, request: SharedNamespaceRequest): void {
  const set = {
    hostname: !!request.hostname,
    dns: (request.dns ?? []).length > 0,
    extraHosts: (request.extraHosts ?? []).length > 0,
    ports: (request.ports ?? []).length > 0 || !!request.publishAll,
    exposedPorts: (request.exposedPorts ?? []).length > 0,
    networkAliases: (request.networkAliases ?? []).length > 0,
  };
  if (choice.kind === 'container') {
    const messages: Record<keyof typeof set, string> = {
      hostname: 'conflicting options: hostname and the network mode',
      dns: 'conflicting options: dns and the network mode',
      extraHosts: 'conflicting options: custom host-to-IP mapping and the network mode',
      ports: 'conflicting options: port publishing and the container type network mode',
      exposedPorts: 'conflicting options: port exposing and the container type network mode',
      networkAliases: 'network-scoped alias is supported only for containers in user defined networks',
    };
    const field = (Object.keys(set) as (keyof typeof set)[]).find((k) => set[k]);
    if (field) throw invalid(messages[field], { field });
    return;
  }
  if (choice.kind !== 'sandbox') return;
  const given = request.networkMode ? 'networkMode' : (Object.keys(set) as (keyof typeof set)[]).find((k) => set[k] && k !== 'exposedPorts');
  if (given) {
    throw invalid(
      `a container in sandbox ${choice.sandbox} uses the sandbox's network, hostname and /etc files: drop ${given}, the sandbox's settings apply`,
      { field: given },
    );
  }
}

export interface ExtraHost {
  host: string;
  ip: string;
}

/** `--add-host name:ip`, checked at create so a bad one changes nothing. */
export function parseExtraHost(text: string): ExtraHost {
  const colon = text.indexOf(':');
  const host = text.slice(0, colon);
  const ip = text.slice(colon + 1);
  if (colon <= 0 || !/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(host) || !isIPv4(ip)) {
    throw invalid(`invalid --add-host "${text}": use NAME:IPV4, e.g. db.local:10.0.0.5`, { field: 'extraHosts' });
  }
  return { host, ip };
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

const localhostLines = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/**
 * On the host network the container sees the host's names; otherwise localhost, then `--add-host`
 * entries, then its own address and hostname (Docker's order), so `hostname -i` and a lookup of its own
 * name work without DNS.
 */
export function hostsFile(
  choice: NetworkChoice,
  hostHosts: string,
  own: { hostname: string; ip?: string; extraHosts: readonly ExtraHost[] },
): string {
  const extra = own.extraHosts.map((e) => `${e.ip}\t${e.host}`);
  if (choice.kind === 'host') return [hostHosts.trimEnd(), ...extra, ''].join('\n');
  const self = own.ip ? [`${own.ip}\t${own.hostname}`] : [];
  return [...localhostLines, ...extra, ...self, ''].join('\n');
}

/** Replacements for the host's resolv.conf lines; a list given, even empty, replaces the host's lines. */
export interface ResolvConfOverrides {
  /** `search` domains (the host's `search` and `domain` lines go). */
  search?: readonly string[] | undefined;
  /** `options` (`ndots:5`). */
  options?: readonly string[] | undefined;
}

/**
 * The host's resolv.conf with its nameservers replaced by `nameservers` (the network's DNS or `--dns`)
 * and its search domains and options by the overrides given, keeping the rest; the host's file as it is
 * when there is nothing to put in.
 */
export function resolvConfFile(
  hostResolvConf: string,
  nameservers: readonly string[],
  overrides: ResolvConfOverrides = {},
): string {
  const { search, options } = overrides;
  if (nameservers.length === 0 && search === undefined && options === undefined) return hostResolvConf;
  const hostLines = (keywords: RegExp) => hostResolvConf.split('\n').filter((line) => keywords.test(line));
  const listLine = (keyword: string, values: readonly string[]) =>
    values.length > 0 ? [`${keyword} ${values.join(' ')}`] : [];
  return [
    ...(nameservers.length > 0 ? nameservers.map((ns) => `nameserver ${ns}`) : hostLines(/^\s*nameserver\b/)),
    ...(search === undefined ? hostLines(/^\s*(search|domain)\b/) : listLine('search', search)),
    ...(options === undefined ? hostLines(/^\s*options\b/) : listLine('options', options)),
    '',
  ].join('\n');
}
