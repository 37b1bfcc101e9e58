/**
 * The names one network's embedded DNS answers for. DNS names are case-insensitive and a query may end
 * in the root dot (`web.`), so names are kept in one normal form and queries are looked up in it.
 */
import type { EndpointRecord } from './network-types.ts';

/** Normal form of a DNS name for lookups: lower case, no trailing root dot. */
export function normalDnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * A lookup table in normal form from any name → addresses map. Names that meet in one normal form
 * (`Web`, `web.`) pool their addresses, each address once.
 */
export function dnsNameTable(names: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const table = new Map<string, string[]>();
  for (const [name, ips] of names) addAddresses(table, normalDnsName(name), ips);
  return table;
}

/**
 * The names → addresses of a network's endpoints: each endpoint's aliases (container name, short id,
 * `--network-alias` values). An alias shared by several containers resolves to all of them, as in Docker.
 */
export function dnsNamesOfEndpoints(endpoints: readonly EndpointRecord[]): Map<string, string[]> {
  const table = new Map<string, string[]>();
  for (const endpoint of endpoints) {
    for (const alias of endpoint.aliases) addAddresses(table, normalDnsName(alias), [endpoint.ip]);
  }
  return table;
}

/**
 * The aliases of a renamed container's endpoint: its old name gives way to the new one, in its place;
 * the short id and `--network-alias` values stay, as Docker keeps them across a rename.
 */
export function renamedAliases(aliases: readonly string[], oldName: string, newName: string): string[] {
  return [...new Set(aliases.map((alias) => (alias === oldName ? newName : alias)))];
}

function addAddresses(table: Map<string, string[]>, name: string, ips: readonly string[]): void {
  if (name === '') return;
  const known = table.get(name) ?? [];
  for (const ip of ips) if (!known.includes(ip)) known.push(ip);
  table.set(name, known);
}
