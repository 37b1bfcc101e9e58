/** Docker's `/networks/…` and `/volumes/…`: decode, call the NetworkService, VolumeService and containers, encode. */
import type { ServerResponse } from 'node:http';
import { isMarinaError, MarinaError } from '../../errors.ts';
import type { Engine } from '../../engine/services.ts';
import { http, type Route } from '../api-types.ts';
import { queryFlag, readJson, sendJson, sendNoContent } from '../http-io.ts';
import type { Router } from '../router.ts';
import { parseFilters } from './docker-http.ts';
import {
  dockerNetwork,
  dockerVolume,
  networkMatches,
  parseDockerNetworkConnect,
  parseDockerNetworkCreate,
  parseDockerNetworkDisconnect,
  parseDockerVolumeCreate,
  volumeMatches,
} from './docker-network-volume-format.ts';

export function addDockerNetworkRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/networks/create',
      http(async ({ req, res, ctx }) => {
        const { request, warning } = parseDockerNetworkCreate(await readJson(req));
        const network = await ctx.engine.networks.create(request);
        sendJson(res, 201, { Id: network.id, Warning: warning });
      }),
    )
    .add(
      'GET',
      '/networks',
      http(async ({ res, query, ctx }) => {
        const filters = parseFilters(query.get('filters'));
        const networks = (await ctx.engine.networks.list()).filter((n) => networkMatches(filters, n));
        sendJson(res, 200, networks.map(dockerNetwork));
      }),
    )
    .add(
      'POST',
      '/networks/prune',
      http(async ({ res, query, ctx }) => {
        refuseFilters(query, 'network prune');
        sendJson(res, 200, { NetworksDeleted: await ctx.engine.networks.prune() });
      }),
    )
    .add(
      'GET',
      '/networks/:id',
      http(async ({ res, params, ctx }) => sendJson(res, 200, dockerNetwork(await inspectNetwork(ctx.engine, params.id!)))),
    )
    .add(
      'DELETE',
      '/networks/:id',
      http(async ({ res, params, ctx }) => {
        const network = await inspectNetwork(ctx.engine, params.id!);
        await ctx.engine.networks.remove(network.id);
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/networks/:id/connect',
      http(async ({ req, res, params, ctx }) => {
        const { container, aliases } = parseDockerNetworkConnect(await readJson(req));
        await ctx.engine.containers.connectNetwork(container, params.id!, aliases);
        sendNoBody(res);
      }),
    )
    .add(
      'POST',
      '/networks/:id/disconnect',
      http(async ({ req, res, params, ctx }) => {
        const { container } = parseDockerNetworkDisconnect(await readJson(req));
        await ctx.engine.containers.disconnectNetwork(container, params.id!);
        sendNoBody(res);
      }),
    );
}

export function addDockerVolumeRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/volumes/create',
      http(async ({ req, res, ctx }) => {
        const { name, labels } = parseDockerVolumeCreate(await readJson(req));
        sendJson(res, 201, dockerVolume(await ctx.engine.volumes.create(name, labels ? { labels } : undefined)));
      }),
    )
    .add(
      'GET',
      '/volumes',
      http(async ({ res, query, ctx }) => {
        const filters = parseFilters(query.get('filters'));
        const users = filters.has('dangling') ? await volumeRefCounts(ctx.engine) : new Map<string, number>();
        const volumes = (await ctx.engine.volumes.list()).filter((v) => volumeMatches(filters, v, users.has(v.name)));
        sendJson(res, 200, { Volumes: volumes.map(dockerVolume), Warnings: [] });
      }),
    )
    .add(
      'POST',
      '/volumes/prune',
      http(async ({ res, query, ctx }) => {
        // Since API 1.42 Docker prunes only anonymous volumes unless the filter all=true says otherwise.
        const filters = parseFilters(query.get('filters'));
        for (const key of filters.keys()) {
          if (key !== 'all') throw new MarinaError('Invalid', `invalid filter '${key}' for volume prune: Marina takes all=true only`);
        }
        const all = (filters.get('all') ?? []).some((v) => v === 'true' || v === '1');
        const deleted = await ctx.engine.volumes.prune({ anonymousOnly: !all });
        sendJson(res, 200, { VolumesDeleted: deleted, SpaceReclaimed: 0 });
      }),
    )
    .add(
      'GET',
      '/volumes/:name',
      http(async ({ res, params, ctx }) => sendJson(res, 200, dockerVolume(await ctx.engine.volumes.inspect(params.name!)))),
    )
    .add(
      'DELETE',
      '/volumes/:name',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.volumes.remove(params.name!, { force: queryFlag(query, 'force') });
        sendNoContent(res);
      }),
    );
}

/** How many containers (running or not) mount each named volume: Docker's `RefCount` and `dangling`. */
export async function volumeRefCounts(engine: Engine): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const summary of await engine.containers.list({ all: true })) {
    const record = await engine.containers.inspect(summary.id).catch(() => undefined); // removed meanwhile
    for (const mount of record?.mounts ?? []) {
      if (mount.type === 'volume' && mount.name) counts.set(mount.name, (counts.get(mount.name) ?? 0) + 1);
    }
  }
  return counts;
}

/** Docker's 404 text for networks, whatever the service said. */
async function inspectNetwork(engine: Engine, nameOrId: string) {
  try {
    return await engine.networks.inspect(nameOrId);
  } catch (err) {
    if (isMarinaError(err, 'NotFound')) throw new MarinaError('NotFound', `network ${nameOrId} not found`);
    throw err;
  }
}

/** Marina's prune has no filters; refusing them beats pruning more than asked. */
function refuseFilters(query: URLSearchParams, what: string): void {
  const filters = parseFilters(query.get('filters'));
  if (filters.size > 0) throw new MarinaError('Invalid', `${what} takes no filters in Marina: leave out --filter`);
}

/** Docker answers connect/disconnect with 200 and an empty body. */
function sendNoBody(res: ServerResponse): void {
  res.writeHead(200, { 'content-length': 0 });
  res.end();
}
