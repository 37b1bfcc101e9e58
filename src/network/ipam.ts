/**
 * IPv4 address management, pure: CIDR parsing and validation, overlap, gateways, the next free address
 * of a subnet, carving subnets from a pool, and MACs derived from addresses. Addresses are handled as
 * unsigned 32-bit numbers; the I/O (reading routes, storing leases) is the caller's.
 */
import { invalid } from '../errors.ts';

export interface Cidr {
  /** The network address as an unsigned 32-bit number (host bits zero). */
  network: number;
  prefixLength: number;
}

const minPrefixLength = 8;
const maxPrefixLength = 30;

/** `10.1.2.3` → number; undefined when `text` is not a dotted-quad IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const byte = Number(part);
    if (byte > 255) return undefined;
    value = value * 256 + byte;
  }
  return value;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

function sizeOf(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

export function broadcastOf(cidr: Cidr): number {
  return cidr.network + sizeOf(cidr) - 1;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefixLength}`;
}

/**
 * Parses a network's subnet, e.g. `10.89.3.0/24`. `what` names the value in errors (`subnet`,
 * `network pool`). Host bits must be zero: a typo there would otherwise silently become another network.
 */
export function parseSubnet(text: string, what = 'subnet'): Cidr {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text.trim());
  if (!match) {
    if (text.includes(':')) throw invalid(`invalid ${what} "${text}": only IPv4 subnets are supported, e.g. 10.89.0.0/24`);
    throw invalid(`invalid ${what} "${text}": expected an IPv4 CIDR such as 10.89.0.0/24`);
  }
  const address = parseIpv4(match[1]!);
  if (address === undefined) throw invalid(`invalid ${what} "${text}": "${match[1]}" is not an IPv4 address`);
  const prefixLength = Number(match[2]);
  if (prefixLength < minPrefixLength || prefixLength > maxPrefixLength) {
    throw invalid(`invalid ${what} "${text}": the prefix length must be ${minPrefixLength} to ${maxPrefixLength}`);
  }
  const network = (address & maskOf(prefixLength)) >>> 0;
  if (network !== address) {
    throw invalid(`invalid ${what} "${text}": host bits are set; did you mean ${formatIpv4(network)}/${prefixLength}?`);
  }
  return { network, prefixLength };
}

export function containsAddress(cidr: Cidr, address: number): boolean {
  return address >= cidr.network && address <= broadcastOf(cidr);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= broadcastOf(b) && b.network <= broadcastOf(a);
}

/** The first host address, as Docker picks it. */
export function defaultGateway(cidr: Cidr): string {
  return formatIpv4(cidr.network + 1);
}

/** Checks a user-given gateway: an IPv4 address of a host inside the subnet. Returns it normalized. */
export function validateGateway(cidr: Cidr, gateway: string): string {
  const address = parseIpv4(gateway.trim());
  const subnet = formatCidr(cidr);
  if (address === undefined) throw invalid(`invalid gateway "${gateway}": expected an IPv4 address inside ${subnet}`);
  if (!containsAddress(cidr, address)) throw invalid(`invalid gateway "${gateway}": it is not inside the subnet ${subnet}`);
  if (address === cidr.network || address === broadcastOf(cidr)) {
    throw invalid(`invalid gateway "${gateway}": it is the network or broadcast address of ${subnet}; use a host address such as ${defaultGateway(cidr)}`);
  }
  return formatIpv4(address);
}

/**
 * The lowest host address of `cidr` that is neither the gateway nor in `used`; undefined when the
 * subnet is full.
 */
export function nextFreeAddress(cidr: Cidr, gateway: string, used: ReadonlySet<string>): string | undefined {
  const last = broadcastOf(cidr) - 1;
  for (let address = cidr.network + 1; address <= last; address++) {
    const text = formatIpv4(address);
    if (text !== gateway && !used.has(text)) return text;
  }
  return undefined;
}

/**
 * The destinations of `ip -4 route` output (any table listing), so a new network avoids subnets the
 * host already routes elsewhere. `default` routes are skipped (they would block everything); a bare
 * address is a /32.
 */
export function routedSubnets(ipRouteOutput: string): Cidr[] {
  const subnets: Cidr[] = [];
  for (const line of ipRouteOutput.split('\n')) {
    const words = line.trim().split(/\s+/);
    // `ip route` prefixes some routes with their type: `unicast`, `local`, `broadcast`, …
    const destination = /^[0-9]/.test(words[0] ?? '') ? words[0]! : words[1];
    if (!destination || !/^[0-9]/.test(destination)) continue;
    const [addressText, prefixText] = destination.split('/');
    const address = parseIpv4(addressText!);
    const prefixLength = prefixText === undefined ? 32 : Number(prefixText);
    if (address === undefined || !Number.isInteger(prefixLength) || prefixLength < 1 || prefixLength > 32) continue;
    subnets.push({ network: (address & maskOf(prefixLength)) >>> 0, prefixLength });
  }
  return subnets;
}

/**
 * The first /24 of `pool` (or the whole pool when it is smaller) that overlaps none of `avoid`;
 * undefined when the pool is exhausted.
 */
export function carveSubnet(pool: Cidr, avoid: readonly Cidr[]): Cidr | undefined {
  const prefixLength = Math.max(24, pool.prefixLength);
  const step = 2 ** (32 - prefixLength);
  for (let network = pool.network; network <= broadcastOf(pool); network += step) {
    const candidate = { network, prefixLength };
    if (!avoid.some((taken) => overlaps(candidate, taken))) return candidate;
  }
  return undefined;
}

/** `02:42:` and the four address bytes, as Docker derives container MACs (unique per network, locally administered). */
export function macFromIp(ip: string): string {
  const address = parseIpv4(ip);
  if (address === undefined) throw invalid(`cannot derive a MAC address from "${ip}": not an IPv4 address`);
  const bytes = [0x02, 0x42, address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
