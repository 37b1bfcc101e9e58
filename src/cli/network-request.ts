/**
 * The networking flags of `marina run`/`create` → their fields of the create request. Pure; `-p` values
 * are parsed by the network part's port-spec, the same parser the engine trusts.
 */
import { isIP } from 'node:net';
import type { ContainerCreateRequest } from '../engine/container-types.ts';
import { invalid } from '../errors.ts';
import { parsePortSpec } from '../network/port-spec.ts';

export interface NetworkFlags {
  network?: string;
  /** `--net`, docker's old spelling of `--network`. */
  net?: string;
  networkAlias: string[];
  publish: string[];
  publishAll?: boolean;
  addHost: string[];
  dns: string[];
}

export type NetworkRequestFields = Pick<
  ContainerCreateRequest,
  'networkMode' | 'networkAliases' | 'ports' | 'publishAll' | 'extraHosts' | 'dns'
>;

/** Modes that are not a user-defined network: no aliases there, as docker. */
const builtinModes = new Set(['bridge', 'default', 'none', 'host']);
const networkName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function networkMode(flags: NetworkFlags): string | undefined {
  if (flags.network !== undefined && flags.net !== undefined && flags.network !== flags.net) {
    throw invalid(
      `conflicting options: --network ${flags.network} and --net ${flags.net}; give one of them`,
      {
        field: 'network',
      },
    );
  }
  const mode = flags.network ?? flags.net;
  if (mode === undefined || builtinModes.has(mode)) return mode;
  if (!networkName.test(mode)) {
    throw invalid(
      `invalid --network "${mode}": use bridge (the default), none (loopback only), host, or the name of a network from marina network ls`,
      { field: 'network' },
    );
  }
  return mode;
}

/** `--add-host name:ip` (docker's newer `name=ip` too) → `name:ip`. */
function extraHost(value: string): string {
  const separator = value.search(/[=:]/);
  const name = value.slice(0, separator);
  const ip = value.slice(separator + 1);
  if (separator <= 0 || isIP(ip) === 0) {
    throw invalid(`invalid --add-host "${value}": use NAME:IP, e.g. db:10.0.0.5`, { field: 'add-host' });
  }
  return `${name}:${ip}`;
}

function nameserver(value: string): string {
  if (isIP(value) === 0)
    throw invalid(`invalid --dns "${value}": use an IP address, e.g. 10.0.0.2`, { field: 'dns' });
  return value;
}

export function networkRequestFields(flags: NetworkFlags): NetworkRequestFields {
  const mode = networkMode(flags);
  if (flags.networkAlias.length > 0 && (mode === undefined || builtinModes.has(mode))) {
    throw invalid(
      '--network-alias works on user-defined networks only: create one with marina network create NAME and add --network NAME',
      { field: 'network-alias' },
    );
  }
  const ports = flags.publish.flatMap(parsePortSpec);
  if ((ports.length > 0 || flags.publishAll) && (mode === 'none' || mode === 'host')) {
    throw invalid(
      mode === 'none'
        ? 'conflicting options: -p/-P and --network none (the container has no network to publish from)'
        : "conflicting options: -p/-P and --network host (the container already uses the host's ports directly)",
      { field: 'publish' },
    );
  }
  return {
    networkMode: mode,
    networkAliases: flags.networkAlias.length > 0 ? flags.networkAlias : undefined,
    ports: ports.length > 0 ? ports : undefined,
    publishAll: flags.publishAll || undefined,
    extraHosts: flags.addHost.length > 0 ? flags.addHost.map(extraHost) : undefined,
    dns: flags.dns.length > 0 ? flags.dns.map(nameserver) : undefined,
  };
}
