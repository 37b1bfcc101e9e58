/**
 * The service proxy's iptables rules, built as data (pure), in kube-proxy's iptables-mode shape:
 *
 * nat  PREROUTING, OUTPUT → SERVICES: per service port, `-d clusterIP -p P --dport N` → SVC-<hash>;
 *        each external IP → EXT-<hash>; last, local destinations → NODEPORTS → EXT-<hash>.
 *      EXT-<hash>: mark for masquerade (the client is outside the pod network), then → SVC-<hash>.
 *      SVC-<hash>: clients outside the pod subnet marked; with ClientIP affinity a `recent` check per
 *        endpoint first; then endpoint i of n taken with probability 1/(n-i) → SEP-<hash>.
 *      SEP-<hash>: a pod reaching itself (hairpin) marked; DNAT to podIP:targetPort.
 *      POSTROUTING → POSTROUTING: marked packets masqueraded (the mark cleared, so it never leaks on).
 * filter INPUT, FORWARD, OUTPUT (new connections) → SERVICES: a port without endpoints REJECTs at once,
 *        instead of leaving clients to time out.
 *      FORWARD → FORWARD: service traffic from outside the pod network is let in (the network rules
 *        would drop it as not bridge-internal).
 *
 * Every chain is named `MSVC-<tag>-…`, a prefix distinct from the network rules' `MARINA-<tag>-`, so the
 * two owners (and two daemons) never touch each other's chains. Rules are written the way iptables-save
 * prints them, so the kernel's listing can be compared with them line for line.
 */
import { createHash } from 'node:crypto';
import type { OwnChain, RuleOwner } from '../../../network/iptables.ts';
import type { Backend, ProxiedPort } from './proxied-ports.ts';

/** kube-proxy's masquerade bit: a packet either marks is masqueraded by either, so sharing it is harmless. */
const masqueradeBit = '0x4000';
/** iptables' longest chain name. */
export const maxChainName = 28;

export function serviceChainPrefix(tag: string): string {
  return `MSVC-${tag}-`;
}

export function serviceRuleComment(tag: string): string {
  return `marina-svc:${tag}`;
}

export interface FixedChains {
  services: string;
  nodePorts: string;
  markMasquerade: string;
  postrouting: string;
  forward: string;
}

export function fixedChains(tag: string): FixedChains {
  const p = serviceChainPrefix(tag);
  return {
    services: `${p}SERVICES`,
    nodePorts: `${p}NODEPORTS`,
    markMasquerade: `${p}MARK-MASQ`,
    postrouting: `${p}POSTROUTING`,
    forward: `${p}FORWARD`,
  };
}

/**
 * `MSVC-<tag>-<KIND>-<hash>`: like kube-proxy's KUBE-SVC-<base32 of sha256>, cut to iptables' 28
 * characters (60 bits of hash). Stable for the same service port (and endpoint), so an unchanged
 * service keeps its chains, and its `recent` affinity lists, across syncs and restarts.
 */
export function hashedChain(tag: string, kind: 'SVC' | 'EXT' | 'SEP', ...parts: string[]): string {
  const head = `${serviceChainPrefix(tag)}${kind}-`;
  return (
    head + base32(createHash('sha256').update(parts.join('\0')).digest()).slice(0, maxChainName - head.length)
  );
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

const portKey = (p: ProxiedPort) => [p.name, p.protocol];
export const svcChain = (tag: string, p: ProxiedPort) => hashedChain(tag, 'SVC', ...portKey(p));
export const extChain = (tag: string, p: ProxiedPort) => hashedChain(tag, 'EXT', ...portKey(p));
export const sepChain = (tag: string, p: ProxiedPort, b: Backend) =>
  hashedChain(tag, 'SEP', ...portKey(p), `${b.ip}:${b.port}`);

/** The service proxy as an owner of rules: its jumps are inserted first, as kube-proxy's are, so a host's
 *  or the network rules' drops further down never see service traffic. */
export function serviceRuleOwner(tag: string): RuleOwner {
  const chains = fixedChains(tag);
  const comment = `-m comment --comment "${serviceRuleComment(tag)}"`;
  const newConnections = `-m conntrack --ctstate NEW ${comment}`;
  return {
    chainPrefix: serviceChainPrefix(tag),
    comment: serviceRuleComment(tag),
    jumps: [
      { table: 'filter', line: `-I INPUT ${newConnections} -j ${chains.services}` },
      { table: 'filter', line: `-I FORWARD ${newConnections} -j ${chains.services}` },
      { table: 'filter', line: `-I OUTPUT ${newConnections} -j ${chains.services}` },
      { table: 'filter', line: `-I FORWARD ${comment} -j ${chains.forward}` },
      { table: 'nat', line: `-I PREROUTING ${comment} -j ${chains.services}` },
      { table: 'nat', line: `-I OUTPUT ${comment} -j ${chains.services}` },
      { table: 'nat', line: `-I POSTROUTING ${comment} -j ${chains.postrouting}` },
    ],
  };
}

export interface ServiceRuleOptions {
  tag: string;
  /** The pod network: its clients reach Services without masquerade (their replies come back through the host). */
  podSubnet: string;
  podBridge: string;
  /** Where NodePorts answer; every local address when absent (kube-proxy's default). */
  nodeAddresses?: readonly string[];
  /**
   * The range cluster IPs come from: a new connection to an address or port of it that no rule above
   * translated is refused here, as kube-proxy's nftables mode does, instead of leaving the host by its
   * default route (a Service just deleted, or not yet programmed).
   */
  serviceRange?: string;
}

/**
 * iptables stores a probability as a 31-bit fraction and prints it with 11 decimals; writing that same
 * text keeps the kernel's listing equal to ours.
 */
export function probability(p: number): string {
  return (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
}

export function buildServiceChains(ports: readonly ProxiedPort[], options: ServiceRuleOptions): OwnChain[] {
  const { tag } = options;
  const fixed = fixedChains(tag);
  // Matches in the order iptables-save lists them: protocol, other matches, comment, the port match.
  const described = (p: ProxiedPort, what: string, matches = '') =>
    `-p ${p.protocol}${matches} -m comment --comment "${p.name} ${what}" -m ${p.protocol}`;

  const natServices: string[] = [];
  const nodePorts: string[] = [];
  const filterServices: string[] = [];
  const perPort: OwnChain[] = [];
  const reject = (p: ProxiedPort) =>
    p.protocol === 'tcp'
      ? '-j REJECT --reject-with tcp-reset'
      : '-j REJECT --reject-with icmp-port-unreachable';

  for (const p of ports) {
    const external = p.nodePort !== undefined || p.externalIPs.length > 0;
    if (p.backends.length === 0) {
      filterServices.push(
        `-d ${p.clusterIP}/32 ${described(p, 'has no endpoints')} --dport ${p.port} ${reject(p)}`,
      );
      for (const ip of p.externalIPs)
        filterServices.push(`-d ${ip}/32 ${described(p, 'has no endpoints')} --dport ${p.port} ${reject(p)}`);
      if (p.nodePort !== undefined)
        filterServices.push(
          `${described(p, 'has no endpoints', ' -m addrtype --dst-type LOCAL')} --dport ${p.nodePort} ${reject(p)}`,
        );
      continue;
    }
    const svc = svcChain(tag, p);
    const ext = extChain(tag, p);
    natServices.push(`-d ${p.clusterIP}/32 ${described(p, 'cluster IP')} --dport ${p.port} -j ${svc}`);
    for (const ip of p.externalIPs)
      natServices.push(`-d ${ip}/32 ${described(p, 'external IP')} --dport ${p.port} -j ${ext}`);
    if (p.nodePort !== undefined)
      nodePorts.push(`${described(p, 'node port')} --dport ${p.nodePort} -j ${ext}`);

    const seps = p.backends.map((b) => ({ backend: b, chain: sepChain(tag, p, b) }));
    const recent = (sep: string) => `--name ${sep} --mask 255.255.255.255 --rsource`;
    const svcRules = [
      `! -s ${options.podSubnet} -d ${p.clusterIP}/32 ${described(p, 'cluster IP')} --dport ${p.port} -j ${fixed.markMasquerade}`,
      ...(p.affinitySeconds === undefined
        ? []
        : seps.map(
            ({ chain }) =>
              `-m recent --rcheck --seconds ${p.affinitySeconds} --reap ${recent(chain)} -j ${chain}`,
          )),
      ...seps.map(({ chain }, i) =>
        i === seps.length - 1
          ? `-j ${chain}`
          : `-m statistic --mode random --probability ${probability(1 / (seps.length - i))} -j ${chain}`,
      ),
    ];
    perPort.push({ table: 'nat', name: svc, rules: svcRules.map((r) => `-A ${svc} ${r}`) });
    if (external)
      perPort.push({
        table: 'nat',
        name: ext,
        rules: [`-A ${ext} -j ${fixed.markMasquerade}`, `-A ${ext} -j ${svc}`],
      });
    for (const { backend, chain } of seps) {
      const affinity = p.affinitySeconds === undefined ? '' : ` -m recent --set ${recent(chain)}`;
      perPort.push({
        table: 'nat',
        name: chain,
        rules: [
          `-A ${chain} -s ${backend.ip}/32 -j ${fixed.markMasquerade}`,
          `-A ${chain} -p ${p.protocol}${affinity} -m ${p.protocol} -j DNAT --to-destination ${backend.ip}:${backend.port}`,
        ],
      });
    }
  }
  // Last in SERVICES, as kube-proxy: a cluster IP is never a local address, so this never shadows one.
  const nodePortJumps = options.nodeAddresses
    ? options.nodeAddresses.map((ip) => `-d ${ip}/32 -j ${fixed.nodePorts}`)
    : [`-m addrtype --dst-type LOCAL -j ${fixed.nodePorts}`];

  const chain = (table: OwnChain['table'], name: string, rules: string[]): OwnChain => ({
    table,
    name,
    rules: rules.map((r) => `-A ${name} ${r}`),
  });
  return [
    chain('nat', fixed.services, [...natServices, ...nodePortJumps]),
    chain('nat', fixed.nodePorts, nodePorts),
    chain('nat', fixed.markMasquerade, [`-j MARK --set-xmark ${masqueradeBit}/${masqueradeBit}`]),
    chain('nat', fixed.postrouting, [
      `-m mark ! --mark ${masqueradeBit}/${masqueradeBit} -j RETURN`,
      `-j MARK --set-xmark ${masqueradeBit}/0x0`,
      '-j MASQUERADE --random-fully',
    ]),
    ...perPort,
    chain('filter', fixed.services, [
      ...filterServices,
      ...(options.serviceRange
        ? [`-d ${options.serviceRange} -m comment --comment "no such service" -j REJECT --reject-with icmp-port-unreachable`]
        : []),
    ]),
    chain('filter', fixed.forward, [
      `-o ${options.podBridge} -m mark --mark ${masqueradeBit}/${masqueradeBit} -j ACCEPT`,
      '-m conntrack --ctstate RELATED,ESTABLISHED -m conntrack --ctstate DNAT -j ACCEPT',
    ]),
  ];
}
