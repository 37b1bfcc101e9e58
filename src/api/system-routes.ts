/** `/v1/version`, `/v1/info`, `/v1/events`. */
import { arch, platform } from 'node:os';
import { abortOnClose, http, type Route } from './api-types.ts';
import { encodeEvent, eventMatches, parseEventFilters, parseTimeNano } from './events-codec.ts';
import { sendJson } from './http-io.ts';
import type { Router } from './router.ts';

export const apiVersion = '1';

export function addSystemRoutes(router: Router<Route>): void {
  router
    .add(
      'GET',
      '/v1/version',
      http(async ({ res, ctx }) =>
        sendJson(res, 200, {
          version: ctx.version,
          apiVersion,
          os: platform(),
          arch: arch(),
          nodeVersion: process.version,
        }),
      ),
    )
    .add(
      'GET',
      '/v1/info',
      http(async ({ res, ctx }) => sendJson(res, 200, await ctx.engine.info())),
    )
    .add(
      'GET',
      '/v1/events',
      http(async ({ res, query, ctx }) => {
        const since = query.get('since');
        const filters = parseEventFilters(query.get('filters'));
        const signal = abortOnClose(res);
        const events = ctx.engine.events.subscribe(
          {
            since: since ? parseTimeNano(since, 'since') : undefined,
            filter: (e) => eventMatches(filters, e),
          },
          signal,
        );
        // Clients wait for the headers before doing anything else (docker stats does), so send them now.
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.flushHeaders();
        for await (const event of events) res.write(encodeEvent(event));
        res.end();
      }),
    );
}
