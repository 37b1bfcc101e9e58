/** Contents of the per-container /etc/hostname, /etc/hosts and /etc/resolv.conf, as Docker writes them. */
import { isIPv4 } from 'node:net';
import { invalid, MarinaError } from '../errors.ts';

/** Where a container's network namespace comes from and what it joins. */
export type NetworkChoice =
  /** Its own namespace with loopback only. */
  | { kind: 'none' }
  /** The host's namespace. */
  | { kind: 'host' }
  /** Its own namespace, joined to a bridge network: the default one (`bridge`) or a user network. */
  | { kind: 'bridge'; network: string };

export const defaultNetworkName = 'bridge';

export function networkChoice(mode: string | undefined): NetworkChoice {
  if (mode === undefined || mode === '' || mode === 'default' || mode === defaultNetworkName) {
    return { kind: 'bridge', network: defaultNetworkName };
  }
  if (mode === 'none') return { kind: 'none' };
  if (mode === 'host') return { kind: 'host' };
  if (mode.startsWith('container:')) {
    throw new MarinaError('Unsupported', `network mode "${mode}" is not supported yet: use bridge, a network name, none or host`, {
      details: { field: 'networkMode' },
    });
  }
  return { kind: 'bridge', network: mode };
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

/**
 * The host's resolv.conf with its nameservers replaced by `nameservers` (the network's DNS or `--dns`),
 * keeping its search domains and options; the host's file as it is when there are none to put in.
 */
export function resolvConfFile(hostResolvConf: string, nameservers: readonly string[]): string {
  if (nameservers.length === 0) return hostResolvConf;
  const kept = hostResolvConf.split('\n').filter((line) => /^\s*(search|domain|options)\b/.test(line));
  return [...nameservers.map((ns) => `nameserver ${ns}`), ...kept, ''].join('\n');
}
