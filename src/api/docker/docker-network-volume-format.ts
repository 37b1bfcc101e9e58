/**
 * Docker's shapes of networks and volumes, and its create bodies and list filters, as pure functions of
 * Marina's records. The handlers in docker-network-volume-routes.ts call the services and these.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MarinaError } from '../../errors.ts';
import type { NetworkCreateRequest, NetworkInspect } from '../../network/network-service.ts';
import type { NetworkRecord } from '../../network/network-types.ts';
import type { VolumeRecord } from '../../volume/volume-service.ts';
import { parseWith } from '../request-schemas.ts';

// Docker clients send every field, most of them null or empty: accept that, act on what Marina has.
const stringMap = z.record(z.string(), z.string()).nullish();

const networkCreate = z.object({
  Name: z.string().min(1),
  Driver: z.string().nullish(),
  Internal: z.boolean().nullish(),
  EnableIPv6: z.boolean().nullish(),
  IPAM: z
    .object({
      Driver: z.string().nullish(),
      Config: z
        .array(
          z.object({
            Subnet: z.string().nullish(),
            Gateway: z.string().nullish(),
            IPRange: z.string().nullish(),
            AuxiliaryAddresses: stringMap,
          }),
        )
        .nullish(),
      Options: stringMap,
    })
    .nullish(),
  Options: stringMap,
  Labels: stringMap,
});

export interface DockerNetworkCreate {
  request: NetworkCreateRequest;
  /** What Docker would have honoured and Marina ignores, for the answer's `Warning`. */
  warning: string;
}

/** `POST /networks/create`: Docker's body → the NetworkService request. */
export function parseDockerNetworkCreate(body: unknown): DockerNetworkCreate {
  const parsed = parseWith(networkCreate, body, 'network create request');
  const driver = parsed.Driver || 'bridge';
  if (driver !== 'bridge') throw new MarinaError('NotFound', `plugin "${driver}" not found: Marina has the bridge driver only`);
  if (parsed.EnableIPv6) throw new MarinaError('Unsupported', 'IPv6 networks are not supported by Marina: leave out --ipv6');
  const ipamDriver = parsed.IPAM?.Driver || 'default';
  if (ipamDriver !== 'default') throw new MarinaError('NotFound', `plugin "${ipamDriver}" not found: Marina has the default IPAM driver only`);
  const configs = parsed.IPAM?.Config ?? [];
  if (configs.length > 1) throw new MarinaError('Unsupported', 'a network has one IPv4 subnet in Marina: give one --subnet');
  const config = configs[0];
  if (config?.IPRange && config.IPRange !== config.Subnet) {
    throw new MarinaError('Unsupported', 'IPRange is not supported by Marina: leave out --ip-range; addresses come from the whole subnet');
  }
  if (config?.Gateway && !config.Subnet) throw new MarinaError('Invalid', 'a gateway needs its subnet: give --subnet with --gateway');
  const request: NetworkCreateRequest = { name: parsed.Name };
  if (config?.Subnet) request.subnet = config.Subnet;
  if (config?.Gateway) request.gateway = config.Gateway;
  if (parsed.Internal) request.internal = true;
  if (parsed.Labels) request.labels = parsed.Labels;
  const ignored = Object.keys(parsed.Options ?? {});
  return { request, warning: ignored.length === 0 ? '' : `Marina ignores the driver options ${ignored.join(', ')}` };
}

const networkConnect = z.object({
  Container: z.string().min(1),
  EndpointConfig: z.object({ Aliases: z.array(z.string()).nullish() }).nullish(),
});
const networkDisconnect = z.object({ Container: z.string().min(1), Force: z.boolean().nullish() });

export function parseDockerNetworkConnect(body: unknown): { container: string; aliases: string[] } {
  const parsed = parseWith(networkConnect, body, 'network connect request');
  return { container: parsed.Container, aliases: parsed.EndpointConfig?.Aliases ?? [] };
}

export function parseDockerNetworkDisconnect(body: unknown): { container: string } {
  return { container: parseWith(networkDisconnect, body, 'network disconnect request').Container };
}

/** Docker has an endpoint id per attachment; Marina's endpoint is the (network, container) pair, so derive one. */
const endpointId = (networkId: string, containerId: string) =>
  createHash('sha256').update(`${networkId}/${containerId}`).digest('hex');

/** Docker's network object; `Containers` is filled only by inspect, as Docker's list leaves it empty. */
export function dockerNetwork(network: NetworkRecord | NetworkInspect): Record<string, unknown> {
  const prefix = network.subnet.split('/')[1];
  const containers: Record<string, unknown> = {};
  for (const [id, c] of Object.entries('containers' in network ? network.containers : {})) {
    containers[id] = {
      Name: c.name,
      EndpointID: endpointId(network.id, id),
      MacAddress: c.mac,
      IPv4Address: `${c.ip}/${prefix}`,
      IPv6Address: '',
    };
  }
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
    Internal: network.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: {},
    Labels: network.labels,
  };
}

/** `label=k` or `label=k=v` against a label map. */
function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** Every key must match, any value of a key may (labels: all of them must), as Docker filters. */
function matchAll(filters: Map<string, string[]>, tests: Record<string, (value: string) => boolean>, what: string): boolean {
  for (const [key, values] of filters) {
    const test = tests[key];
    if (!test) throw new MarinaError('Invalid', `invalid filter '${key}' for ${what}: use ${Object.keys(tests).join(', ')}`);
    if (values.length === 0) continue;
    if (key === 'label' ? !values.every(test) : !values.some(test)) return false;
  }
  return true;
}

/** `GET /networks?filters=`: name (substring, as Docker's pattern match), id (prefix), label, driver, type, scope. */
export function networkMatches(filters: Map<string, string[]>, network: NetworkRecord): boolean {
  return matchAll(
    filters,
    {
      name: (v) => network.name.includes(v),
      id: (v) => network.id.startsWith(v),
      label: (v) => labelMatches(network.labels, v),
      driver: (v) => v === network.driver,
      type: (v) => v === (network.isDefault ? 'builtin' : 'custom'),
      scope: (v) => v === 'local',
    },
    'networks',
  );
}

const volumeCreate = z.object({
  Name: z.string().nullish(),
  Driver: z.string().nullish(),
  DriverOpts: stringMap,
  Labels: stringMap,
});

/** `POST /volumes/create`: a name (or none: an anonymous volume) and labels; only the local driver, without options. */
export function parseDockerVolumeCreate(body: unknown): { name: string | undefined; labels: Record<string, string> | undefined } {
  const parsed = parseWith(volumeCreate, body, 'volume create request');
  const driver = parsed.Driver || 'local';
  if (driver !== 'local') throw new MarinaError('NotFound', `plugin "${driver}" not found: Marina has the local volume driver only`);
  const options = Object.keys(parsed.DriverOpts ?? {});
  if (options.length > 0) {
    throw new MarinaError('Unsupported', `volume driver options are not supported by Marina (${options.join(', ')}): leave out --opt`);
  }
  return { name: parsed.Name || undefined, labels: parsed.Labels ?? undefined };
}

/** Docker's volume object. */
export function dockerVolume(volume: VolumeRecord): Record<string, unknown> {
  return {
    Name: volume.name,
    Driver: volume.driver,
    Mountpoint: volume.mountpoint,
    CreatedAt: volume.createdAt,
    Labels: volume.labels,
    Scope: 'local',
    Options: {},
  };
}

const truthy = (v: string) => v === 'true' || v === '1';

/** `GET /volumes?filters=`: name (substring), label, driver, dangling (no container uses it). */
export function volumeMatches(filters: Map<string, string[]>, volume: VolumeRecord, inUse: boolean): boolean {
  return matchAll(
    filters,
    {
      name: (v) => volume.name.includes(v),
      label: (v) => labelMatches(volume.labels, v),
      driver: (v) => v === volume.driver,
      dangling: (v) => truthy(v) !== inUse,
    },
    'volumes',
  );
}
