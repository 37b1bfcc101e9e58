/**
 * What a marinad owns in the kernel, found by its daemon tag: for before/after comparisons in the network
 * tests and the bench, and to remove it all when they end (a daemon that was killed leaves its bridges and
 * rules behind on purpose, for live restore). Touches nothing without this daemon's tag or bridge name.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { serviceChainPrefix, serviceRuleComment } from '../src/cluster/agent/service-proxy/service-rules.ts';
import { sandboxNetnsPrefix } from '../src/engine/pod-sandbox.ts';
import { daemonTagOf, ownChainPrefix, ruleComment } from '../src/network/daemon-tag.ts';

/** A daemon's iptables: its networks' chains and jumps, and its service proxy's. */
function ruleOwners(tag: string): { chainPrefix: string; comment: string }[] {
  return [
    { chainPrefix: ownChainPrefix(tag), comment: ruleComment(tag) },
    { chainPrefix: serviceChainPrefix(tag), comment: serviceRuleComment(tag) },
  ];
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: string[]): void {
  try {
    run(cmd, args);
  } catch {
    // Already gone: cleanup converges.
  }
}

/** Second octets (10.N.0.0/16) a daemon started by this process took: never handed out twice. */
const takenHere = new Set<number>();

/**
 * Daemon flags with a bridge name, bridge subnet and pool no other test picks: a random 10.N.0.0/16
 * (N in 200–250) that neither this process handed out before nor any route on the host already uses
 * (a daemon of another test file running at the same time).
 */
export function uniqueNetworkFlags(): { args: string[]; bridge: string } {
  const bridge = `mt${randomBytes(4).toString('hex')}`;
  const routes = run('ip', ['-4', 'route', 'show']);
  let second = 200 + randomInt(51);
  for (let tries = 0; tries < 51 && (takenHere.has(second) || routes.includes(`10.${second}.`)); tries++) {
    second = 200 + ((second - 200 + 1) % 51);
  }
  takenHere.add(second);
  const block = randomInt(16);
  // The pool is the next /20 after the one holding the bridge's /24, so the two never overlap.
  const bridgeSubnet = `10.${second}.${block * 16}.0/24`;
  const pool = `10.${second}.${((block + 1) % 16) * 16}.0/20`;
  return { bridge, args: ['--bridge', bridge, '--bridge-subnet', bridgeSubnet, '--network-pool', pool] };
}

function ownLink(name: string, tag: string, bridge: string): boolean {
  return name === bridge || name.startsWith(`v${tag}`) || name.startsWith(`mr${tag}`);
}

/** The daemon's links (names only, sorted) and its iptables lines (chains and rules), from `ip` and `iptables-save`. */
export function ownKernelObjects(root: string, bridge: string): { links: string[]; rules: string[] } {
  const tag = daemonTagOf(root);
  const links = run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((line) => line.split(': ')[1]?.split('@')[0] ?? '')
    .filter((name) => ownLink(name, tag, bridge))
    .sort();
  const owners = ruleOwners(tag);
  const rules = run('iptables-save', [])
    .split('\n')
    .filter((line) => owners.some((o) => line.includes(o.chainPrefix) || line.includes(o.comment)))
    .sort();
  return { links, rules };
}

/** Removes the daemon's jump rules, chains, veths and bridges. Run after the daemon has stopped. */
export function removeOwnKernelObjects(root: string, bridge: string): void {
  const tag = daemonTagOf(root);
  const owners = ruleOwners(tag);
  let table = '';
  for (const line of run('iptables-save', []).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const isJump =
      line.startsWith('-A ') && owners.some((o) => line.includes(o.comment) && !line.startsWith(`-A ${o.chainPrefix}`));
    if (isJump)
      tryRun('iptables', [
        '-t',
        table,
        '-D',
        ...line
          .slice(3)
          .split(' ')
          .map((w) => w.replace(/^"|"$/g, '')),
      ]);
  }
  // Flush every own chain before deleting any: one may jump to another.
  const chains: [string, string][] = [];
  for (const line of run('iptables-save', []).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    if (owners.some((o) => line.startsWith(`:${o.chainPrefix}`))) chains.push([table, line.slice(1).split(' ')[0]!]);
  }
  for (const [t, chain] of chains) tryRun('iptables', ['-t', t, '-F', chain]);
  for (const [t, chain] of chains) tryRun('iptables', ['-t', t, '-X', chain]);
  for (const link of ownKernelObjects(root, bridge).links) tryRun('ip', ['link', 'del', link]);
  // Named namespaces of build steps (marina-<tag>-…) and of pod sandboxes (marina-pod-<tag>-…).
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (name.startsWith(`marina-${tag}-`) || name.startsWith(sandboxNetnsPrefix(tag))) tryRun('ip', ['netns', 'del', name]);
  }
}
