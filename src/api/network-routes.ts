/** `/v1/networks/…` and a container's published ports. Bodies are validated here; the NetworkService decides. */
import type { ContainerRecord } from '../engine/container-types.ts';
import { conflict } from '../errors.ts';
import { http, type Route } from './api-types.ts';
import { readJson, sendJson, sendNoContent } from './http-io.ts';
import { parseNetworkConnect, parseNetworkCreate, parseNetworkDisconnect } from './request-schemas.ts';
import type { Router } from './router.ts';

/** A new endpoint goes into the namespace of the container's running init process. */
function netnsOf(container: ContainerRecord): string {
  if (!container.state.running || container.state.pid <= 0) {
    throw conflict(`container ${container.name} is not running: start it, then connect it to the network`);
  }
  return `/proc/${container.state.pid}/ns/net`;
}

export function addNetworkRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/v1/networks',
      http(async ({ req, res, ctx }) =>
        sendJson(res, 201, await ctx.engine.networks.create(parseNetworkCreate(await readJson(req)))),
      ),
    )
    .add(
      'GET',
      '/v1/networks',
      http(async ({ res, ctx }) => sendJson(res, 200, await ctx.engine.networks.list())),
    )
    .add(
      'POST',
      '/v1/networks/prune',
      http(async ({ res, ctx }) => sendJson(res, 200, { deleted: await ctx.engine.networks.prune() })),
    )
    .add(
      'GET',
      '/v1/networks/:id',
      http(async ({ res, params, ctx }) => sendJson(res, 200, await ctx.engine.networks.inspect(params.id!))),
    )
    .add(
      'DELETE',
      '/v1/networks/:id',
      http(async ({ res, params, ctx }) => {
        await ctx.engine.networks.remove(params.id!);
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/v1/networks/:id/connect',
      http(async ({ req, res, params, ctx }) => {
        const { container, aliases } = parseNetworkConnect(await readJson(req));
        const record = await ctx.engine.containers.inspect(container);
        const endpoint = await ctx.engine.networks.connect(
          params.id!,
          record.id,
          record.name,
          netnsOf(record),
          aliases ?? [],
        );
        sendJson(res, 200, endpoint);
      }),
    )
    .add(
      'POST',
      '/v1/networks/:id/disconnect',
      http(async ({ req, res, params, ctx }) => {
        const { container } = parseNetworkDisconnect(await readJson(req));
        const record = await ctx.engine.containers.inspect(container);
        await ctx.engine.networks.disconnect(params.id!, record.id);
        sendNoContent(res);
      }),
    )
    .add(
      'GET',
      '/v1/containers/:id/port',
      http(async ({ res, params, ctx }) => {
        const record = await ctx.engine.containers.inspect(params.id!);
        sendJson(res, 200, ctx.engine.networks.ports(record.id));
      }),
    );
}
