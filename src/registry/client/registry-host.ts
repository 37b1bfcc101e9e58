/** Where a reference's domain is served, and which hosts may be spoken to in plain HTTP. Pure. */
import { isIP } from 'node:net';
import { defaultDomain } from '../../image/reference.ts';

/** Docker Hub's API lives on another host than the name people write. */
export function registryHost(domain: string): string {
  return domain === defaultDomain ? 'registry-1.docker.io' : domain;
}

/** The hostname of `host[:port]` (`[::1]:5000` → `::1`). */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host).toLowerCase();
  if (name === 'localhost' || name === '::1') return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

/** `--insecure-registry` entries match with or without the port. */
export function isListedInsecure(host: string, insecureRegistries: readonly string[]): boolean {
  return insecureRegistries.includes(host) || insecureRegistries.includes(hostnameOf(host));
}
