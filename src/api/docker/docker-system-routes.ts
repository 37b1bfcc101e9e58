/** Docker's `/_ping`, `/version`, `/info`, `/events` and `/system/df`. */
import { arch, hostname, release } from 'node:os';
import { abortOnClose, http, type Route } from '../api-types.ts';
import { parseTimeNano } from '../events-codec.ts';
import { sendJson } from '../http-io.ts';
import type { Router } from '../router.ts';
import { dockerEventFilter, encodeDockerEvent, eventsUntil } from './docker-events.ts';
import { parseFilters } from './docker-http.ts';
import { volumeRefCounts } from './docker-network-volume-routes.ts';
import { dockerDiskUsage, dockerInfo, dockerPingHeaders, dockerVersion } from './docker-system-format.ts';

const ping = http(async ({ req, res }) => {
  res.writeHead(200, { ...dockerPingHeaders, 'content-type': 'text/plain; charset=utf-8', 'content-length': 2 });
  res.end(req.method === 'HEAD' ? undefined : 'OK');
});

export function addDockerSystemRoutes(router: Router<Route>): void {
  router
    .add('GET', '/_ping', ping)
    .add('HEAD', '/_ping', ping)
    .add(
      'GET',
      '/version',
      http(async ({ res, ctx }) =>
        sendJson(res, 200, dockerVersion({ version: ctx.version, kernel: release(), arch: arch(), runtimeVersion: process.version })),
      ),
    )
    .add(
      'GET',
      '/info',
      http(async ({ res, ctx }) => sendJson(res, 200, dockerInfo(await ctx.engine.info(), { name: hostname(), now: new Date() }))),
    )
    .add(
      'GET',
      '/system/df',
      http(async ({ res, ctx }) => {
        const { engine } = ctx;
        const [images, containers, volumes, refCounts, buildCache] = await Promise.all([
          engine.images.list(),
          engine.containers.list({ all: true }),
          engine.volumes.list(),
          volumeRefCounts(engine),
          ctx.builds.cacheUsage(),
        ]);
        const [containerBytes, volumeBytes] = await Promise.all([
          measure(containers.map((c) => c.id), (id) => engine.diskUsage.containerBytes(id)),
          measure(volumes.map((v) => v.name), (name) => engine.diskUsage.volumeBytes(name)),
        ]);
        sendJson(res, 200, dockerDiskUsage({ images, containers, volumes, volumeRefCounts: refCounts, containerBytes, volumeBytes, buildCache }));
      }),
    )
    .add(
      'GET',
      '/events',
      http(async ({ res, query, ctx }) => {
        const filter = dockerEventFilter(parseFilters(query.get('filters')));
        const sinceText = query.get('since');
        const untilText = query.get('until');
        const until = untilText ? parseTimeNano(untilText, 'until') : undefined;
        // As Docker: with only `until`, past events up to it are replayed too.
        const since = sinceText ? parseTimeNano(sinceText, 'since') : until !== undefined ? 0n : undefined;
        const events = ctx.engine.events.subscribe({ since, filter }, abortOnClose(res));
        // Clients wait for the headers before doing anything else (docker stats does): send them now.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        for await (const event of eventsUntil(events, until)) res.write(encodeDockerEvent(event));
        res.end();
      }),
    );
}

/** Each key's size, measured one after another: a walk per item, so `df` does not flood the disk. */
async function measure(keys: readonly string[], size: (key: string) => Promise<number>): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const key of keys) sizes.set(key, await size(key));
  return sizes;
}
