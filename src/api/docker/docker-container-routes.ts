/**
 * Docker's container routes (create, list, inspect, lifecycle, wait, attach, logs, resize, prune): decode
 * Docker's request, call the engine's ContainerService as the native routes do, encode Docker's answer.
 * exec, top, stats, port, rename and archive live in their own modules.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ContainerRecord, LogEntry, LogOptions, WaitCondition } from '../../engine/container-types.ts';
import type { AttachedStdio, OutputFrame } from '../../engine/services.ts';
import { invalid, isMarinaError, notFound } from '../../errors.ts';
import type { ImageRuntimeConfig } from '../../image/image-types.ts';
import { familiarizeReference } from '../../image/reference.ts';
import { abortOnClose, type ApiContext, http, type Route, upgrade } from '../api-types.ts';
import { multiplexedContentType, rawContentType } from '../hijack.ts';
import { queryFlag, queryInt, readJson, sendJson, sendNoContent } from '../http-io.ts';
import type { Router } from '../router.ts';
import { encodeFrame } from '../stdio-framing.ts';
import { containerFilter } from './docker-container-filters.ts';
import { dockerInspect, dockerListEntry } from './docker-container-json.ts';
import { parseDockerCreate } from './docker-create-body.ts';
import { parseFilters } from './docker-http.ts';

const waitConditions: WaitCondition[] = ['not-running', 'next-exit', 'removed'];

async function create(ctx: ApiContext, body: unknown, name: string | undefined) {
  const { request, warnings } = parseDockerCreate(body, name);
  try {
    const record = await ctx.engine.containers.create(request);
    return { Id: record.id, Warnings: warnings };
  } catch (err) {
    // The docker CLI pulls on a 404 and prints this message when it may not; Docker names the image as typed plus its tag.
    if (isMarinaError(err, 'NotFound') && err.message.startsWith('No such image')) {
      throw notFound(`No such image: ${familiarImage(request.image)}`);
    }
    throw err;
  }
}

function familiarImage(image: string): string {
  try {
    return familiarizeReference(image.includes('@') || /:[^/]+$/.test(image) ? image : `${image}:latest`);
  } catch {
    return image;
  }
}

/** `GET /containers/json`: newest first, as Docker lists them. */
async function list(ctx: ApiContext, query: URLSearchParams) {
  const networks = await ctx.engine.networks.list();
  const filter = containerFilter(parseFilters(query.get('filters')), networks);
  const limit = queryInt(query, 'limit') ?? -1;
  const all = queryFlag(query, 'all') || limit > 0 || filter.includesStopped;
  const summaries = (await ctx.engine.containers.list({ all })).sort((a, b) => b.created.localeCompare(a.created));
  const imageLabels = new Map<string, Promise<Record<string, string>>>();
  const labelsOfImage = (imageId: string) => {
    const known = imageLabels.get(imageId) ?? imageConfigIfExists(ctx, imageId).then((config) => config?.Labels ?? {});
    imageLabels.set(imageId, known);
    return known;
  };
  const entries = [];
  for (const summary of summaries) {
    const record = await inspectIfExists(ctx, summary.id);
    // Docker copies the image's labels into the container's at create: ps shows and filters both.
    const labels = { ...(await labelsOfImage(summary.imageId)), ...summary.labels };
    if (record && filter.test(record, labels)) entries.push(dockerListEntry({ ...summary, labels }, record, networks));
  }
  return limit > 0 ? entries.slice(0, limit) : entries;
}

/** A container removed while the list was being made is simply not listed. */
async function inspectIfExists(ctx: ApiContext, id: string): Promise<ContainerRecord | undefined> {
  try {
    return await ctx.engine.containers.inspect(id);
  } catch (err) {
    if (isMarinaError(err, 'NotFound')) return undefined;
    throw err;
  }
}

/** The config of a container's image; undefined once the image is gone (`rmi -f`), and inspect shows the record's own. */
async function imageConfigIfExists(ctx: ApiContext, imageId: string): Promise<ImageRuntimeConfig | undefined> {
  try {
    return (await ctx.engine.images.inspect(imageId)).config.config ?? {};
  } catch (err) {
    if (isMarinaError(err, 'NotFound')) return undefined;
    throw err;
  }
}

function logOptions(query: URLSearchParams): LogOptions {
  const stdout = queryFlag(query, 'stdout');
  const stderr = queryFlag(query, 'stderr');
  if (!stdout && !stderr) throw invalid('Bad parameters: you must choose at least one stream');
  const tail = query.get('tail');
  // Docker clients send `since=0` / `until=0` for "no bound".
  const bound = (name: string) => {
    const value = query.get(name);
    return value && Number(value) !== 0 ? value : undefined;
  };
  return {
    follow: queryFlag(query, 'follow'),
    since: bound('since'),
    until: bound('until'),
    tail: tail === null || tail === '' || tail === 'all' ? undefined : Math.max(0, queryInt(query, 'tail') ?? 0),
    stdout,
    stderr,
  };
}

/** Docker's log timestamps are RFC 3339 with nanoseconds in UTC, `Z` rather than `+00:00`. */
const dockerTime = (time: string) => time.replace(/\+00:00$/, 'Z');

/** Only the streams the client asked for (`docker run -a stdout`); the process's other output is dropped. */
function onlyStreams(stdio: AttachedStdio, stdout: boolean, stderr: boolean): AttachedStdio {
  if (stdout && stderr) return stdio;
  const output = new PassThrough({ objectMode: true });
  stdio.output.on('data', (frame: OutputFrame) => {
    if ((frame.stream === 'stdout' && stdout) || (frame.stream === 'stderr' && stderr)) output.write(frame);
  });
  stdio.output.once('end', () => output.end());
  stdio.output.once('error', (err) => output.destroy(err));
  return { output, input: stdio.input, tty: stdio.tty, close: () => stdio.close() };
}

/**
 * `attach`: with `logs`, the log so far (the engine's log reader), then with `stream` the live output and
 * stdin, as Docker does. The seam: the replay stops at the entries logged before the live attach was asked
 * for. conmon logs each chunk before it sends it to attached clients, so none of those reached the new
 * connection and no output comes twice; a chunk logged between that moment and conmon accepting the
 * connection is in neither (as in Docker, whose seam is the same), and a line logged in parts across it
 * loses its first parts. Without `stream` the replay is all there is, up to the log's end.
 */
async function attach(ctx: ApiContext, idOrName: string, query: URLSearchParams): Promise<AttachedStdio> {
  const stdout = queryFlag(query, 'stdout');
  const stderr = queryFlag(query, 'stderr');
  const record = await ctx.engine.containers.inspect(idOrName);
  const attachedAt = Date.now();
  const live = queryFlag(query, 'stream')
    ? onlyStreams(await ctx.engine.containers.attach(record.id, { stdin: queryFlag(query, 'stdin') }), stdout, stderr)
    : undefined;
  const replays = queryFlag(query, 'logs') && (stdout || stderr);
  if (live && !replays) return live;
  const stopReplay = new AbortController();
  const until = live ? unixSeconds(attachedAt) : undefined;
  const replay = replays ? ctx.engine.containers.logs(record.id, { stdout, stderr, until }, stopReplay.signal) : [];
  return afterReplay(replay, live, !!record.request.tty, stopReplay);
}

/** A time as the log options take it: unix seconds with the milliseconds as fraction. */
const unixSeconds = (ms: number) => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;

/** One output: the replayed entries, then the live stdio's output (or the end, without one). */
function afterReplay(
  replay: AsyncIterable<LogEntry> | LogEntry[],
  live: AttachedStdio | undefined,
  tty: boolean,
  stopReplay: AbortController,
): AttachedStdio {
  const output = new PassThrough({ objectMode: true });
  const { signal } = stopReplay;
  const pump = async () => {
    for await (const { stream, data } of replay) {
      if (!output.write({ stream, data } satisfies OutputFrame)) await once(output, 'drain', { signal });
    }
    if (signal.aborted) return;
    if (!live) {
      output.end();
      return;
    }
    live.output.once('error', (err) => output.destroy(err));
    live.output.pipe(output);
  };
  pump().catch((err) => {
    if (!signal.aborted) output.destroy(err);
  });
  return {
    output,
    input: live?.input,
    tty,
    close: () => {
      stopReplay.abort();
      live?.close();
    },
  };
}

export function addDockerContainerRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/containers/create',
      http(async ({ req, res, query, ctx }) =>
        sendJson(res, 201, await create(ctx, await readJson(req), query.get('name') || undefined)),
      ),
    )
    .add('GET', '/containers/json', http(async ({ res, query, ctx }) => sendJson(res, 200, await list(ctx, query))))
    .add(
      'POST',
      '/containers/prune',
      http(async ({ res, query, ctx }) => {
        if (parseFilters(query.get('filters')).size > 0) {
          throw invalid('container prune filters are not supported by Marina: prune without --filter');
        }
        sendJson(res, 200, { ContainersDeleted: await ctx.engine.containers.prune(), SpaceReclaimed: 0 });
      }),
    )
    .add(
      'GET',
      '/containers/:id/json',
      http(async ({ res, params, ctx }) => {
        const record = await ctx.engine.containers.inspect(params.id!);
        const [networks, image] = await Promise.all([ctx.engine.networks.list(), imageConfigIfExists(ctx, record.imageId)]);
        sendJson(res, 200, dockerInspect(record, networks, image));
      }),
    )
    .add(
      'DELETE',
      '/containers/:id',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.remove(params.id!, { force: queryFlag(query, 'force'), removeVolumes: queryFlag(query, 'v') });
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/containers/:id/start',
      http(async ({ res, params, ctx }) => {
        await ctx.engine.containers.start(params.id!);
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/containers/:id/stop',
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
      '/containers/:id/kill',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.kill(params.id!, query.get('signal') || 'KILL');
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/containers/:id/restart',
      http(async ({ res, params, query, ctx }) => {
        await ctx.engine.containers.restart(params.id!, { timeoutSeconds: queryInt(query, 't') });
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/containers/:id/wait',
      http(async ({ res, params, query, ctx }) => {
        const condition = (query.get('condition') || 'not-running') as WaitCondition;
        if (!waitConditions.includes(condition)) {
          throw invalid(`invalid condition: "${condition}": use ${waitConditions.join(', ')}`);
        }
        await ctx.engine.containers.inspect(params.id!);
        // The docker CLI sends `start` only once these headers arrive: they must go out now, the body at exit.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        try {
          const { exitCode } = await ctx.engine.containers.wait(params.id!, condition, abortOnClose(res));
          res.end(`${JSON.stringify({ StatusCode: exitCode, Error: null })}\n`);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: message } })}\n`);
        }
      }),
    )
    .add(
      'POST',
      '/containers/:id/resize',
      http(async ({ res, params, query, ctx }) => {
        const height = queryInt(query, 'h');
        const width = queryInt(query, 'w');
        if (height === undefined || width === undefined || height < 0 || width < 0) {
          throw invalid('resize needs h and w query parameters, the terminal rows and columns');
        }
        await ctx.engine.containers.resize(params.id!, { height, width });
        res.writeHead(200);
        res.end();
      }),
    )
    .add(
      'GET',
      '/containers/:id/logs',
      http(async ({ res, params, query, ctx }) => {
        const options = logOptions(query);
        const timestamps = queryFlag(query, 'timestamps');
        const record = await ctx.engine.containers.inspect(params.id!);
        // The CLI reads raw bytes from a TTY container's log and demultiplexes the others (by Config.Tty).
        const tty = !!record.request.tty;
        res.writeHead(200, { 'content-type': tty ? rawContentType : multiplexedContentType });
        res.flushHeaders();
        for await (const entry of ctx.engine.containers.logs(record.id, options, abortOnClose(res))) {
          const data = timestamps ? Buffer.concat([Buffer.from(`${dockerTime(entry.time)} `), entry.data]) : entry.data;
          if (!res.write(tty ? data : encodeFrame(entry.stream, data))) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      }),
    )
    .add(
      'POST',
      '/containers/:id/attach',
      // dockerode attaches without Upgrade unless told to hijack: Docker serves both.
      upgrade(({ params, query, ctx }) => attach(ctx, params.id!, query), { acceptsPlain: true }),
    );
}
