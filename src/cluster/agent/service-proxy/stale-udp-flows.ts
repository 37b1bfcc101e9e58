/**
 * Which UDP conntrack entries a change of endpoints leaves pointing the wrong way (pure). UDP has no
 * connection end, so a client keeps sending to the entry's translated address long after its endpoint
 * is gone; and packets sent before a service had any endpoint made entries that were never translated.
 * Both kinds are deleted, as kube-proxy does: the next packet makes a fresh entry through the rules.
 */
import type { Backend, ProxiedPort } from './proxied-ports.ts';

/** Arguments for `conntrack -D`, one deletion each. */
export function staleUdpFlows(before: readonly ProxiedPort[], after: readonly ProxiedPort[]): string[][] {
  const now = new Map(after.filter(isUdp).map((p) => [p.name, p]));
  const out: string[][] = [];
  for (const old of before.filter(isUdp)) {
    const current = now.get(old.name);
    const kept = new Set((current?.backends ?? []).map(backendKey));
    for (const gone of old.backends.filter((b) => !kept.has(backendKey(b)))) {
      for (const ip of addressesOf(old))
        out.push(['-D', '-p', 'udp', '--orig-dst', ip, '--dst-nat', gone.ip]);
      if (old.nodePort !== undefined)
        out.push(['-D', '-p', 'udp', '--orig-port-dst', String(old.nodePort), '--dst-nat', gone.ip]);
    }
  }
  const hadBackends = new Set(before.filter((p) => isUdp(p) && p.backends.length > 0).map((p) => p.name));
  for (const p of now.values()) {
    if (p.backends.length === 0 || hadBackends.has(p.name)) continue;
    for (const ip of addressesOf(p)) out.push(['-D', '-p', 'udp', '--orig-dst', ip]);
  }
  return out;
}

const isUdp = (p: ProxiedPort) => p.protocol === 'udp';
const backendKey = (b: Backend) => `${b.ip}:${b.port}`;
const addressesOf = (p: ProxiedPort) => [p.clusterIP, ...p.externalIPs];
