/**
 * Where the embedded DNS forwards names it does not own: the host's resolvers (read from the host's
 * /etc/resolv.conf by default) or the daemon's `--dns-upstream IP[:PORT]` list.
 *
 * Loopback nameservers (127.0.0.53 of systemd-resolved, a local dnsmasq) are kept: the forwarder runs
 * in marinad, in the host's network namespace, where they are reachable. Docker drops them only because
 * its resolver forwards from inside the container's namespace.
 */
import { isIP } from 'node:net';
import { invalid } from '../errors.ts';

export interface DnsUpstream {
  host: string;
  port: number;
}

const dnsPort = 53;

/** `nameserver` addresses of a resolv.conf text, in order (glibc tries them in that order too). */
export function nameserversOf(resolvConfText: string): DnsUpstream[] {
  const upstreams: DnsUpstream[] = [];
  for (const line of resolvConfText.split('\n')) {
    const [keyword, address] = line
      .replace(/[#;].*/, '')
      .trim()
      .split(/\s+/);
    if (keyword !== 'nameserver' || address === undefined) continue;
    // An IPv6 link-local nameserver carries its zone (`fe80::1%eth0`); isIP checks the address part.
    if (isIP(address.split('%')[0] ?? '') === 0) continue;
    upstreams.push({ host: address, port: dnsPort });
  }
  return upstreams;
}

/** Parses `--dns-upstream` values: `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address. */
export function parseDnsUpstream(text: string): DnsUpstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const hostAndPort = /^([^:]+):(\d+)$/.exec(text);
  const [host, portText] = bracketed
    ? [bracketed[1] ?? '', bracketed[2]]
    : hostAndPort
      ? [hostAndPort[1] ?? '', hostAndPort[2]]
      : [text, undefined];
  const port = portText === undefined ? dnsPort : Number(portText);
  if (isIP(host.split('%')[0] ?? '') === 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(
      `DNS upstream '${text}' is not an IP address with an optional port: use e.g. 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53`,
    );
  }
  return { host, port };
}

/**
 * Drops upstreams that are the embedded DNS servers themselves: forwarding to one would bounce a query
 * between them until every hop timed out.
 */
export function withoutSelf(upstreams: readonly DnsUpstream[], selves: readonly DnsUpstream[]): DnsUpstream[] {
  return upstreams.filter((u) => !selves.some((s) => s.port === u.port && s.host === u.host));
}
