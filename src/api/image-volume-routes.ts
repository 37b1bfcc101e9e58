/** `/v1/images/…` and `/v1/volumes/…`. Image references travel as one percent-encoded path segment. */
import { pipeline } from 'node:stream/promises';
import { invalid } from '../errors.ts';
import { http, type Route } from './api-types.ts';
import { queryFlag, readJson, requireQuery, sendError, sendJson, sendNoContent } from './http-io.ts';
import { parseVolumeCreate } from './request-schemas.ts';
import type { Router } from './router.ts';

/** `?names=a&names=b` or `?names=a,b`. */
function listQuery(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .filter((v) => v !== '');
}

export function addImageRoutes(router: Router<Route>): void {
  router
    .add(
      'GET',
      '/v1/images',
      http(async ({ res, ctx }) => sendJson(res, 200, await ctx.engine.images.list())),
    )
    .add(
      'POST',
      '/v1/images/prune',
      http(async ({ res, query, ctx }) =>
        sendJson(res, 200, await ctx.engine.images.prune({ all: queryFlag(query, 'all') })),
      ),
    )
    .add(
      'POST',
      '/v1/images/load',
      http(async ({ req, res, ctx }) => sendJson(res, 200, await ctx.engine.images.load(req))),
    )
    .add(
      'GET',
      '/v1/images/save',
      http(async ({ res, query, ctx }) => {
        const names = listQuery(query, 'names');
        if (names.length === 0) throw invalid('save needs at least one image in ?names=', { field: 'names' });
        // Resolve every name first so a typo is a 404, not a truncated tarball.
        for (const name of names) await ctx.engine.images.inspect(name);
        res.writeHead(200, { 'content-type': 'application/x-tar' });
        await pipeline(ctx.engine.images.save(names), res);
      }),
    )
    .add(
      'POST',
      '/v1/images/import',
      http(async ({ req, res, query, ctx }) => {
        const reference = requireQuery(query, 'ref');
        const record = await ctx.engine.images.import(req, reference, {
          // Repeated parameters only: a change such as CMD ["a","b"] holds commas.
          changes: query.getAll('changes'),
          message: query.get('message') || undefined,
        });
        sendJson(res, 201, record);
      }),
    )
    .add(
      'POST',
      '/v1/images/seed',
      http(async ({ res, query, ctx }) => {
        const name = requireQuery(query, 'name');
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.flushHeaders();
        try {
          const result = await ctx.seedImage(name, (line) =>
            res.write(`${JSON.stringify({ progress: line })}\n`),
          );
          res.end(`${JSON.stringify({ result })}\n`);
        } catch (err) {
          sendError(res, err);
        }
      }),
    )
    .add(
      'GET',
      '/v1/images/:ref',
      http(async ({ res, params, ctx }) => sendJson(res, 200, await ctx.engine.images.inspect(params.ref!))),
    )
    .add(
      'POST',
      '/v1/images/:ref/tag',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.images.tag(params.ref!, requireQuery(query, 'target'));
        sendJson(res, 201, {});
      }),
    )
    .add(
      'DELETE',
      '/v1/images/:ref',
      http(async ({ res, params, query, ctx }) =>
        sendJson(res, 200, await ctx.engine.images.remove(params.ref!, { force: queryFlag(query, 'force') })),
      ),
    );
}

export function addVolumeRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/v1/volumes',
      http(async ({ req, res, ctx }) => {
        const { name, labels } = parseVolumeCreate(await readJson(req));
        sendJson(res, 201, await ctx.engine.volumes.create(name, labels ? { labels } : undefined));
      }),
    )
    .add(
      'GET',
      '/v1/volumes',
      http(async ({ res, ctx }) => sendJson(res, 200, await ctx.engine.volumes.list())),
    )
    .add(
      'POST',
      '/v1/volumes/prune',
      http(async ({ res, ctx }) => sendJson(res, 200, { deleted: await ctx.engine.volumes.prune() })),
    )
    .add(
      'GET',
      '/v1/volumes/:name',
      http(async ({ res, params, ctx }) =>
        sendJson(res, 200, await ctx.engine.volumes.inspect(params.name!)),
      ),
    )
    .add(
      'DELETE',
      '/v1/volumes/:name',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.volumes.remove(params.name!, { force: queryFlag(query, 'force') });
        sendNoContent(res);
      }),
    );
}
