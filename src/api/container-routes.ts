/** `/v1/containers/…` and `/v1/exec/…`: decode, call the engine, encode. */
import type { LogOptions, WaitCondition } from '../engine/container-types.ts';
import { invalid } from '../errors.ts';
import { abortOnClose, http, type Route, upgrade } from './api-types.ts';
import { queryFlag, queryInt, readJson, requireQuery, sendError, sendJson, sendNoContent } from './http-io.ts';
import { parseContainerCreate, parseExecCreate } from './request-schemas.ts';
import type { Router } from './router.ts';
import { encodeFrame } from './stdio-framing.ts';

const waitConditions: WaitCondition[] = ['not-running', 'next-exit', 'removed'];

function terminalSize(query: URLSearchParams) {
  const height = queryInt(query, 'h');
  const width = queryInt(query, 'w');
  if (height === undefined || width === undefined || height < 0 || width < 0) {
    throw invalid('resize needs h and w query parameters, the terminal rows and columns', { field: 'h' });
  }
  return { height, width };
}

function logOptions(query: URLSearchParams): LogOptions {
  const tail = query.get('tail');
  const onlyStderr = query.has('stderr') && !query.has('stdout');
  const onlyStdout = query.has('stdout') && !query.has('stderr');
  return {
    follow: queryFlag(query, 'follow'),
    since: query.get('since') || undefined,
    until: query.get('until') || undefined,
    tail: tail === null || tail === '' || tail === 'all' ? undefined : queryInt(query, 'tail'),
    stdout: onlyStderr ? false : queryFlag(query, 'stdout', true),
    stderr: onlyStdout ? false : queryFlag(query, 'stderr', true),
  };
}

export function addContainerRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/v1/containers',
      http(async ({ req, res, ctx }) =>
        sendJson(res, 201, await ctx.engine.containers.create(parseContainerCreate(await readJson(req)))),
      ),
    )
    .add(
      'GET',
      '/v1/containers',
      http(async ({ res, query, ctx }) =>
        sendJson(res, 200, await ctx.engine.containers.list({ all: queryFlag(query, 'all') })),
      ),
    )
    .add(
      'POST',
      '/v1/containers/prune',
      http(async ({ res, ctx }) => sendJson(res, 200, { deleted: await ctx.engine.containers.prune() })),
    )
    .add(
      'GET',
      '/v1/containers/:id',
      http(async ({ res, params, ctx }) =>
        sendJson(res, 200, await ctx.engine.containers.inspect(params.id!)),
      ),
    )
    .add(
      'DELETE',
      '/v1/containers/:id',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.remove(params.id!, {
          force: queryFlag(query, 'force'),
          removeVolumes: queryFlag(query, 'volumes'),
        });
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/v1/containers/:id/start',
      http(async ({ res, params, ctx }) => {
        await ctx.engine.containers.start(params.id!);
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/v1/containers/:id/stop',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.stop(params.id!, {
          timeoutSeconds: queryInt(query, 't'),
          signal: query.get('signal') || undefined,
        });
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/v1/containers/:id/kill',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.kill(params.id!, query.get('signal') || undefined);
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/v1/containers/:id/restart',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.restart(params.id!, { timeoutSeconds: queryInt(query, 't') });
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/v1/containers/:id/wait',
      http(async ({ res, params, query, ctx }) => {
        const condition = (query.get('condition') || 'not-running') as WaitCondition;
        if (!waitConditions.includes(condition)) {
          throw invalid(`unknown wait condition "${condition}": use ${waitConditions.join(', ')}`, {
            field: 'condition',
          });
        }
        // Unknown containers still get a proper 404 before the headers go out.
        await ctx.engine.containers.inspect(params.id!);
        // Clients start the container only once the wait is registered, i.e. when these headers arrive.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        try {
          const { exitCode } = await ctx.engine.containers.wait(params.id!, condition, abortOnClose(res));
          res.end(JSON.stringify({ exitCode }));
        } catch (err) {
          sendError(res, err);
        }
      }),
    )
    .add(
      'POST',
      '/v1/containers/:id/resize',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.resize(params.id!, terminalSize(query));
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/v1/containers/:id/rename',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.rename(params.id!, requireQuery(query, 'name'));
        sendNoContent(res);
      }),
    )
    .add(
      'GET',
      '/v1/containers/:id/top',
      http(async ({ res, params, query, ctx }) =>
        sendJson(res, 200, await ctx.engine.containers.top(params.id!, query.get('psArgs') ?? undefined)),
      ),
    )
    .add(
      'GET',
      '/v1/containers/:id/stats',
      http(async ({ res, params, ctx }) => sendJson(res, 200, await ctx.engine.containers.stats(params.id!))),
    )
    .add(
      'GET',
      '/v1/containers/:id/logs',
      http(async ({ res, params, query, ctx }) => {
        const options = logOptions(query);
        const timestamps = queryFlag(query, 'timestamps');
        await ctx.engine.containers.inspect(params.id!);
        res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
        res.flushHeaders();
        for await (const entry of ctx.engine.containers.logs(params.id!, options, abortOnClose(res))) {
          const data = timestamps ? Buffer.concat([Buffer.from(`${entry.time} `), entry.data]) : entry.data;
          if (!res.write(encodeFrame(entry.stream, data))) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      }),
    )
    .add(
      'POST',
      '/v1/containers/:id/attach',
      upgrade(({ params, query, ctx }) =>
        ctx.engine.containers.attach(params.id!, { stdin: queryFlag(query, 'stdin') }),
      ),
    )
    .add(
      'POST',
      '/v1/containers/:id/exec',
      http(async ({ req, res, params, ctx }) =>
        sendJson(res, 201, await ctx.engine.execs.create(params.id!, parseExecCreate(await readJson(req)))),
      ),
    )
    .add(
      'POST',
      '/v1/exec/:id/start',
      upgrade(({ params, ctx }) => ctx.engine.execs.start(params.id!)),
    )
    .add(
      'GET',
      '/v1/exec/:id',
      http(async ({ res, params, ctx }) => sendJson(res, 200, await ctx.engine.execs.inspect(params.id!))),
    )
    .add(
      'POST',
      '/v1/exec/:id/resize',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.execs.resize(params.id!, terminalSize(query));
        sendNoContent(res);
      }),
    );
}
