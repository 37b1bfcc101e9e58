/**
 * iproute2 command batches for the bridge driver: built as plain lines (pure, so tests read them) and
 * run as one `ip -batch -` process per step — on the host, or inside a container's network namespace
 * (`ip -n` for a named one, else through nsenter). Process spawns are most of the cost of networking in `run`, so attach is two.
 */
import { existsSync } from 'node:fs';
import { MarinaError } from '../errors.ts';
import { runCommand } from '../run-command.ts';
import type { EndpointRecord, NetworkRecord } from './network-types.ts';

export interface BridgeState {
  exists: boolean;
}

/** Creates the bridge when missing, marks it with the daemon's alias, gives it the gateway address, brings it up. */
export function bridgeBatch(network: NetworkRecord, alias: string, state: BridgeState): string[] {
  const prefix = prefixLengthOf(network.subnet);
  return [
    ...(state.exists ? [] : [`link add name ${network.bridge} type bridge`]),
    `link set dev ${network.bridge} alias ${alias}`,
    `addr replace ${network.gateway}/${prefix} dev ${network.bridge}`,
    `link set dev ${network.bridge} up`,
  ];
}

/**
 * Host side of an endpoint: the veth pair is created with its peer directly inside the container's
 * namespace (named, addressed by MAC), so nothing has to be moved or renamed afterwards. Hairpin lets a
 * container reach its own published port through the host's address.
 */
export function hostVethBatch(
  bridge: string,
  endpoint: EndpointRecord,
  netnsPath: string,
  state: { exists: boolean },
): string[] {
  return [
    ...(state.exists
      ? []
      : [
          `link add name ${endpoint.hostIfName} type veth peer name ${endpoint.ifName} address ${endpoint.mac} netns ${netnsPath}`,
        ]),
    `link set dev ${endpoint.hostIfName} master ${bridge} up`,
    `link set dev ${endpoint.hostIfName} type bridge_slave hairpin on`,
  ];
}

/** Inside the container's namespace: loopback, the endpoint's address, and (when it routes) the default route. */
export function containerSideBatch(endpoint: EndpointRecord, options: { defaultRoute: boolean }): string[] {
  return [
    'link set dev lo up',
    `addr replace ${endpoint.ip}/${endpoint.prefixLength} dev ${endpoint.ifName}`,
    `link set dev ${endpoint.ifName} up`,
    ...(options.defaultRoute ? [`route replace default via ${endpoint.gateway} dev ${endpoint.ifName}`] : []),
  ];
}

export function deleteLinksBatch(names: readonly string[]): string[] {
  return names.map((name) => `link del dev ${name}`);
}

export interface LinkInfo {
  name: string;
  alias?: string;
}

/** Reads `ip -j link show`. */
export function parseLinks(json: string): LinkInfo[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) throw new MarinaError('Internal', 'ip -j link show did not print a JSON array');
  return parsed.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { ifname, ifalias } = entry as { ifname?: unknown; ifalias?: unknown };
    if (typeof ifname !== 'string') return [];
    return [typeof ifalias === 'string' ? { name: ifname, alias: ifalias } : { name: ifname }];
  });
}

function prefixLengthOf(cidr: string): number {
  const prefix = Number(cidr.split('/')[1]);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32)
    throw new MarinaError('Internal', `subnet "${cidr}" has no prefix length`);
  return prefix;
}

/** Where iproute2 keeps named network namespaces (`ip netns add NAME`), which `ip -n NAME` enters itself. */
const namedNetnsDir = '/run/netns/';

/**
 * The process that runs a batch on the host, or inside `netnsPath`: a named namespace is entered by ip
 * itself (`ip -n NAME`, one process fewer on the path of every pod sandbox), any other (a container's
 * `/proc/PID/ns/net`) through nsenter.
 */
export function ipBatchCommand(netnsPath?: string): [command: string, args: string[]] {
  if (netnsPath === undefined) return ['ip', ['-batch', '-']];
  const name = netnsPath.startsWith(namedNetnsDir) ? netnsPath.slice(namedNetnsDir.length) : '';
  if (/^[A-Za-z0-9_.-]+$/.test(name) && name !== '.' && name !== '..')
    return ['ip', ['-n', name, '-batch', '-']];
  return ['nsenter', [`--net=${netnsPath}`, 'ip', '-batch', '-']];
}

/** Runs a batch on the host, or inside `netnsPath` when given; a failing line fails the whole step. */
export async function runIpBatch(lines: readonly string[], netnsPath?: string): Promise<void> {
  if (lines.length === 0) return;
  const [command, args] = ipBatchCommand(netnsPath);
  const result = await runCommand(command, args, { input: `${lines.join('\n')}\n` });
  if (result.code !== 0) {
    const where = netnsPath === undefined ? 'on the host' : `in network namespace ${netnsPath}`;
    throw new MarinaError(
      'Internal',
      `ip commands failed ${where}: ${result.stderr.trim()} (batch: ${lines.join('; ')})`,
    );
  }
}

export async function listLinks(): Promise<LinkInfo[]> {
  const result = await runCommand('ip', ['-j', 'link', 'show']);
  if (result.code !== 0) throw new MarinaError('Internal', `ip -j link show failed: ${result.stderr.trim()}`);
  return parseLinks(result.stdout);
}

/** Asks sysfs rather than spawning ip: this sits on the path of every container start. */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}
