/**
 * Docker's exec endpoints and the container extras behind `docker top`, `stats`, `rename` and `cp`:
 * decode Docker's request, call the engine's exec and container services, encode Docker's answer.
 */
import { totalmem } from 'node:os';
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContainerStats } from '../../engine/container-types.ts';
import type { AttachedStdio, ContainerService } from '../../engine/services.ts';
import { invalid, isMarinaError } from '../../errors.ts';
import { abortOnClose, http, type Route, upgrade } from '../api-types.ts';
import { queryFlag, queryInt, readJson, requireQuery, sendJson, sendNoContent } from '../http-io.ts';
import type { Router } from '../router.ts';
import { dockerStatsJson, execCreateOf, execInspectJson, pathStatHeader, stoppedStats } from './docker-extras-format.ts';
import { abortableSleep } from '../../abortable-sleep.ts';

/** How often a streamed `stats` answer gets a sample, and how far apart the two samples of a one-off answer are. */
const statsIntervalMs = 1000;

function terminalSize(query: URLSearchParams) {
  const height = queryInt(query, 'h');
  const width = queryInt(query, 'w');
  if (height === undefined || width === undefined) throw invalid('resize needs the h and w query parameters (rows and columns)');
  return { height, width };
}

/** A sample of a running container, or Docker's zeroed one once it is not running. */
async function sample(containers: ContainerService, id: string): Promise<ContainerStats | undefined> {
  try {
    return await containers.stats(id);
  } catch (err) {
    if (isMarinaError(err, 'Conflict')) return undefined;
    throw err;
  }
}

async function writeStats(res: ServerResponse, containers: ContainerService, idOrName: string, query: URLSearchParams) {
  const record = await containers.inspect(idOrName);
  const stream = queryFlag(query, 'stream', true);
  const zeroed = stoppedStats(record.id, record.name);
  if (!stream) {
    // Two samples a second apart, as dockerd does, so the client can compute a CPU percentage (one-shot skips that).
    const first = await sample(containers, record.id);
    if (!queryFlag(query, 'one-shot') && first) await abortableSleep(statsIntervalMs, abortOnClose(res));
    const second = first && (await sample(containers, record.id));
    const current = second ?? first;
    sendJson(res, 200, dockerStatsJson(current ?? zeroed, second ? first : undefined, totalmem()));
    return;
  }
  const signal = abortOnClose(res);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
  let previous: ContainerStats | undefined;
  while (!signal.aborted) {
    const current = await sample(containers, record.id);
    res.write(`${JSON.stringify(dockerStatsJson(current ?? zeroed, previous, totalmem()))}\n`);
    if (!current) break;
    previous = current;
    await abortableSleep(statsIntervalMs, signal);
  }
  res.end();
}

/**
 * The docker CLI sends exec start's JSON body (`{"Detach":false,"Tty":…}`, nothing the engine needs: the
 * TTY was chosen at exec create) on the connection it then hijacks, so the first `length` bytes that
 * arrive are that body, not stdin: they are dropped before the process's stdin.
 */
function withoutRequestBody(stdio: AttachedStdio, length: number): AttachedStdio {
  const { input } = stdio;
  if (!input || !(length > 0)) return stdio;
  let toSkip = length;
  const skipping = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const skipped = Math.min(toSkip, chunk.length);
      toSkip -= skipped;
      const rest = chunk.subarray(skipped);
      if (rest.length === 0 || input.write(rest)) done();
      else input.once('drain', () => done());
    },
    final(done) {
      input.end();
      done();
    },
  });
  input.on('error', (err) => skipping.destroy(err));
  return { output: stdio.output, input: skipping, tty: stdio.tty, close: () => stdio.close() };
}

const isDetachedStart = (body: unknown) => (body as { Detach?: unknown } | null)?.Detach === true;

/** A detached exec runs on unattended: stdin gets its EOF, and its output is read and dropped so it never blocks on a full pipe. */
function discard(stdio: AttachedStdio): void {
  stdio.input?.end();
  stdio.output.resume();
}

export function addDockerExecRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/containers/:id/exec',
      http(async ({ req, res, params, ctx }) => {
        const exec = await ctx.engine.execs.create(params.id!, execCreateOf(await readJson(req)));
        sendJson(res, 201, { Id: exec.id });
      }),
    )
    .add(
      'POST',
      '/exec/:id/start',
      upgrade(
        async ({ req, params, ctx, hijacked }) => {
          if (hijacked) {
            return withoutRequestBody(await ctx.engine.execs.start(params.id!), Number(req.headers['content-length'] ?? 0));
          }
          // Without Upgrade the body is read here, so nothing of it reaches stdin; `docker exec -d` sends Detach.
          const detach = isDetachedStart(await readJson(req));
          const stdio = await ctx.engine.execs.start(params.id!);
          if (!detach) return stdio;
          discard(stdio);
          return undefined;
        },
        { acceptsPlain: true },
      ),
    )
    .add(
      'GET',
      '/exec/:id/json',
      http(async ({ res, params, ctx }) => sendJson(res, 200, execInspectJson(await ctx.engine.execs.inspect(params.id!)))),
    )
    .add(
      'POST',
      '/exec/:id/resize',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.execs.resize(params.id!, terminalSize(query));
        res.writeHead(200).end();
      }),
    )
    .add(
      'GET',
      '/containers/:id/top',
      http(async ({ res, params, query, ctx }) => {
        const table = await ctx.engine.containers.top(params.id!, query.get('ps_args') ?? undefined);
        sendJson(res, 200, { Titles: table.titles, Processes: table.processes });
      }),
    )
    .add(
      'GET',
      '/containers/:id/stats',
      http(({ res, params, query, ctx }) => writeStats(res, ctx.engine.containers, params.id!, query)),
    )
    .add(
      'POST',
      '/containers/:id/rename',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.rename(params.id!, requireQuery(query, 'name'));
        sendNoContent(res);
      }),
    )
    .add(
      'HEAD',
      '/containers/:id/archive',
      http(async ({ res, params, query, ctx }) => {
        const stat = await ctx.engine.containers.statPath(params.id!, requireQuery(query, 'path'));
        res.writeHead(200, { 'X-Docker-Container-Path-Stat': pathStatHeader(stat) }).end();
      }),
    )
    .add(
      'GET',
      '/containers/:id/archive',
      http(async ({ res, params, query, ctx }) => {
        const { stat, tar } = await ctx.engine.containers.archive(params.id!, requireQuery(query, 'path'));
        res.writeHead(200, { 'content-type': 'application/x-tar', 'X-Docker-Container-Path-Stat': pathStatHeader(stat) });
        // A failure mid-way can only cut the tar short; the client sees a truncated archive.
        await pipeline(tar, res).catch(() => res.destroy());
      }),
    )
    .add(
      'PUT',
      '/containers/:id/archive',
      http(async ({ req, res, params, query, ctx }) => {
        await ctx.engine.containers.extractArchive(params.id!, requireQuery(query, 'path'), req, {
          keepOwners: queryFlag(query, 'copyUIDGID'),
        });
        res.writeHead(200).end();
      }),
    );
}
