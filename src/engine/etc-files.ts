/** Contents of the per-container /etc/hostname, /etc/hosts and /etc/resolv.conf, as Docker writes them. */
import { MarinaError } from '../errors.ts';

export type NetworkChoice = 'private' | 'host';

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/**
 * Without a network the container only has loopback, so its hosts file names only localhost; on the
 * host network it sees the host's names.
 */
export function hostsFile(network: NetworkChoice, hostHosts: string): string {
  if (network === 'host') return hostHosts;
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
}

/** Until bridge networking lands, the default network (and Docker's `default`/`none`) is loopback only. */
export function networkChoice(mode: string | undefined): NetworkChoice {
  if (mode === undefined || mode === '' || mode === 'default' || mode === 'none') return 'private';
  if (mode === 'host') return 'host';
  throw new MarinaError('Unsupported', `network mode "${mode}" is not supported yet: use none (the default) or host`, {
    details: { field: 'networkMode' },
  });
}
