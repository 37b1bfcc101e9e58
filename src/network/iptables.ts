/**
 * The daemon's iptables rules, built as data from its networks and published ports (pure), and applied
 * with one `iptables-restore --noflush` for both tables: each table's COMMIT is atomic, so a rebuild
 * never shows a half-written chain, and other software's rules are never flushed. Only the daemon's own
 * chains (`MARINA-<tag>-…`) and the jump rules commented `marina:<tag>` are ever written or deleted.
 * The same machinery serves any other owner of rules (the service proxy): a `RuleOwner` names its chain
 * prefix, its jump comment and its jumps, and owners with distinct prefixes never touch each other.
 */
import { MarinaError } from '../errors.ts';
import { runCommand } from '../run-command.ts';
import { daemonChains, ownChainPrefix, ruleComment } from './daemon-tag.ts';

export type Table = 'filter' | 'nat';
const tables: readonly Table[] = ['filter', 'nat'];

export interface RuleNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

export interface RulePort {
  protocol: 'tcp' | 'udp';
  /** `0.0.0.0` for every host address. */
  hostIp: string;
  hostPort: number;
  /** The endpoint's address and the bridge it sits on. */
  ip: string;
  bridge: string;
  containerPort: number;
}

export interface Rule {
  table: Table;
  /** One iptables-restore line, `-A CHAIN …`. */
  line: string;
}

/**
 * Whoever owns a set of chains: only chains named with its prefix and jumps carrying its comment are
 * ever written or deleted on its behalf. No owner's prefix may start with another's.
 */
export interface RuleOwner {
  chainPrefix: string;
  /** The comment on its jumps from built-in chains. */
  comment: string;
  /** Those jumps (`-A` or `-I CHAIN …`), in place whenever it has chains. */
  jumps: Rule[];
}

/** The network rules' owner: the bridge driver's chains and jumps. */
export function networkRuleOwner(tag: string): RuleOwner {
  return { chainPrefix: ownChainPrefix(tag), comment: ruleComment(tag), jumps: jumpRules(tag) };
}

const ownerOf = (owner: string | RuleOwner): RuleOwner =>
  typeof owner === 'string' ? networkRuleOwner(owner) : owner;

export interface OwnChain {
  table: Table;
  name: string;
  rules: string[];
}

/** The content of the daemon's chains. Order matters inside a chain and is part of the contract tested. */
export function buildChains(
  tag: string,
  networks: readonly RuleNetwork[],
  ports: readonly RulePort[],
): OwnChain[] {
  const chains = daemonChains(tag);
  const fwd = (spec: string) => `-A ${chains.forward} ${spec}`;
  const dnat = (spec: string) => `-A ${chains.dnat} ${spec}`;
  const post = (spec: string) => `-A ${chains.post} ${spec}`;
  const match = (p: RulePort) => `-p ${p.protocol} -m ${p.protocol}`;

  const forward = [
    fwd('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
    // Only connections that came through a published port's DNAT, not anything aimed at the same address.
    ...ports.map((p) =>
      fwd(
        `-d ${p.ip}/32 -o ${p.bridge} ${match(p)} --dport ${p.containerPort} -m conntrack --ctstate DNAT -j ACCEPT`,
      ),
    ),
    ...networks.map((n) => fwd(`-i ${n.bridge} -o ${n.bridge} -j ACCEPT`)),
    // Nothing else enters a network: this isolates networks from each other and from the uplinks.
    ...networks.map((n) => fwd(`-o ${n.bridge} -j DROP`)),
    ...networks.map((n) => fwd(`-i ${n.bridge} -j ${n.internal ? 'DROP' : 'ACCEPT'}`)),
  ];
  const destinationNat = ports.map((p) => {
    const hostAddress = p.hostIp === '0.0.0.0' ? '' : `-d ${p.hostIp}/32 `;
    return dnat(
      `${hostAddress}${match(p)} --dport ${p.hostPort} -j DNAT --to-destination ${p.ip}:${p.containerPort}`,
    );
  });
  const postrouting = [
    ...networks.filter((n) => !n.internal).map((n) => post(`-s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`)),
    // The host reaching a published port on 127.0.0.1: the container could not answer a loopback source.
    ...networks.map((n) => post(`-o ${n.bridge} -m addrtype --src-type LOCAL -j MASQUERADE`)),
    // A container reaching its own published port (hairpin): the reply must come back through the NAT.
    ...ports.map((p) =>
      post(`-s ${p.ip}/32 -d ${p.ip}/32 ${match(p)} --dport ${p.containerPort} -j MASQUERADE`),
    ),
  ];
  return [
    { table: 'filter', name: chains.forward, rules: forward },
    { table: 'nat', name: chains.dnat, rules: destinationNat },
    { table: 'nat', name: chains.post, rules: postrouting },
  ];
}

/** The one jump per built-in chain into the daemon's chains. FORWARD's is appended so the host's own rules come first. */
export function jumpRules(tag: string): Rule[] {
  const chains = daemonChains(tag);
  const comment = `-m comment --comment ${ruleComment(tag)}`;
  const local = '-m addrtype --dst-type LOCAL';
  return [
    { table: 'filter', line: `-A FORWARD ${comment} -j ${chains.forward}` },
    { table: 'nat', line: `-A PREROUTING ${local} ${comment} -j ${chains.dnat}` },
    { table: 'nat', line: `-A OUTPUT ${local} ${comment} -j ${chains.dnat}` },
    { table: 'nat', line: `-A POSTROUTING ${comment} -j ${chains.post}` },
  ];
}

export interface OwnRulesInKernel {
  /** Jump rules carrying the daemon's comment, as iptables-save prints them (`-A CHAIN …`). */
  jumps: Rule[];
  /** The daemon's own chains that exist. */
  chains: { table: Table; name: string }[];
}

/** Picks out of `iptables-save` what belongs to an owner (a tag: the network rules); everything else is left alone. */
export function parseOwnRules(saved: string, owner: string | RuleOwner): OwnRulesInKernel {
  const { chainPrefix: prefix, comment: ownComment } = ownerOf(owner);
  const comment = new RegExp(`--comment "?${ownComment}"?(\\s|$)`);
  const found: OwnRulesInKernel = { jumps: [], chains: [] };
  let table: Table | undefined;
  for (const line of saved.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = (tables as readonly string[]).includes(name) ? (name as Table) : undefined;
    } else if (table !== undefined && line.startsWith(`:${prefix}`)) {
      found.chains.push({ table, name: line.slice(1).split(' ')[0] ?? '' });
    } else if (
      table !== undefined &&
      line.startsWith('-A ') &&
      !line.startsWith(`-A ${prefix}`) &&
      comment.test(line)
    ) {
      found.jumps.push({ table, line });
    }
  }
  return found;
}

export interface RestorePlan {
  /** The chains that should exist, with their full content; empty removes everything the daemon owns. */
  chains: OwnChain[];
  /** What the kernel holds now; when absent, jumps are assumed in place and only chain contents are rewritten. */
  current?: OwnRulesInKernel;
  /**
   * Wanted chains the kernel already holds exactly as wanted (the writer knows what it wrote last): not
   * written again, so a change to one Service rewrites its chains only, however many there are.
   */
  unchanged?: readonly { table: Table; name: string }[];
}

/**
 * iptables-restore input. With `current`, jumps already exactly in place are left alone; otherwise every
 * jump of the owner is deleted and exactly one re-added per built-in chain (in the same commit, so
 * traffic never misses it). Stale own chains are dropped: all flushed before any is deleted, so chains
 * that jump to each other go together. Declaring a chain under --noflush flushes it, which is how
 * contents are replaced atomically.
 */
export function restoreInput(owner: string | RuleOwner, plan: RestorePlan): string {
  const jumps = plan.chains.length > 0 ? ownerOf(owner).jumps : [];
  const current = plan.current;
  const rewriteJumps =
    current !== undefined && !sameLines(current.jumps.map(savedForm), jumps.map(savedForm));
  const unchanged = new Set((plan.unchanged ?? []).map((c) => `${c.table} ${c.name}`));
  const out: string[] = [];
  for (const table of tables) {
    const chains = plan.chains.filter((c) => c.table === table);
    const written = chains.filter((c) => !unchanged.has(`${c.table} ${c.name}`));
    // A set, not a search of `chains` per kernel chain: the service proxy has thousands of each per sync.
    const wanted = new Set(chains.map((c) => c.name));
    const stale = (current?.chains ?? []).filter((c) => c.table === table && !wanted.has(c.name));
    const lines = [
      ...(rewriteJumps ? current.jumps : [])
        .filter((j) => j.table === table)
        .map((j) => j.line.replace(/^-A /, '-D ')),
      ...written.map((c) => `:${c.name} - [0:0]`),
      ...written.flatMap((c) => c.rules),
      ...(rewriteJumps ? jumps.filter((j) => j.table === table).map((j) => j.line) : []),
      ...stale.map((c) => `-F ${c.name}`),
      ...stale.map((c) => `-X ${c.name}`),
    ];
    if (lines.length > 0) out.push(`*${table}`, ...lines, 'COMMIT');
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** A jump as iptables-save lists it (an insertion, `-I CHAIN`, is listed as `-A CHAIN`), with its table. */
function savedForm(rule: Rule): string {
  return `${rule.table} ${rule.line.replace(/^-I (\S+) /, '-A $1 ')}`;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((line, i) => line === sortedB[i]);
}

export async function iptablesSave(): Promise<string> {
  const result = await runCommand('iptables-save', []);
  if (result.code !== 0) throw new MarinaError('Internal', `iptables-save failed: ${result.stderr.trim()}`);
  return result.stdout;
}

export async function iptablesRestore(input: string): Promise<void> {
  if (input === '') return;
  const result = await runCommand('iptables-restore', ['-w', '--noflush'], { input });
  if (result.code !== 0) {
    throw new MarinaError('Internal', `iptables-restore failed: ${result.stderr.trim()}\ninput:\n${input}`);
  }
}
