/** `/v1/networks/…` and a container's published ports. Bodies are validated here; the NetworkService decides. */
import { z } from 'zod';
import type { ContainerRecord } from '../engine/container-types.ts';
import { conflict, invalid } from '../errors.ts';
import type { NetworkCreateRequest } from '../network/network-service.ts';
import { http, type Route } from './api-types.ts';
import { readJson, sendJson, sendNoContent } from './http-io.ts';
import type { Router } from './router.ts';

const networkCreate = z.strictObject({
  name: z.string().min(1),
  subnet: z.string().min(1).optional(),
  gateway: z.string().min(1).optional(),
  internal: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const networkConnect = z.strictObject({
  container: z.string().min(1),
  aliases: z.array(z.string().min(1)).optional(),
});

const networkDisconnect = z.strictObject({ container: z.string().min(1) });

// Same message shape as request-schemas.ts (field path first), whose parseWith is not exported.
function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw invalid(`invalid ${what}: ${field ? `${field}: ` : ''}${issue.message}`, { field });
}

const parseNetworkCreate = (body: unknown): NetworkCreateRequest =>
  parseBody(networkCreate, body, 'network create request');
const parseNetworkConnect = (body: unknown): z.infer<typeof networkConnect> =>
  parseBody(networkConnect, body, 'network connect request');
const parseNetworkDisconnect = (body: unknown): z.infer<typeof networkDisconnect> =>
  parseBody(networkDisconnect, body, 'network disconnect request');

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
