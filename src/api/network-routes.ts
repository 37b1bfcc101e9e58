/** `/v1/networks/…` and a container's published ports. Bodies are validated here; the NetworkService decides. */
import { http, type Route } from './api-types.ts';
import { readJson, sendJson, sendNoContent } from './http-io.ts';
import { parseNetworkConnect, parseNetworkCreate, parseNetworkDisconnect } from './request-schemas.ts';
import type { Router } from './router.ts';

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
        await ctx.engine.containers.connectNetwork(container, params.id!, aliases ?? []);
        sendJson(res, 200, {});
      }),
    )
    .add(
      'POST',
      '/v1/networks/:id/disconnect',
      http(async ({ req, res, params, ctx }) => {
        const { container } = parseNetworkDisconnect(await readJson(req));
        await ctx.engine.containers.disconnectNetwork(container, params.id!);
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
