/**
 * Docker's image endpoints (pull, push, login, list, inspect, history, tag, rmi, load, save, prune, import) and the
 * classic `POST /build`. Each decodes Docker's request, calls the same image, transfer and build services as the
 * native routes, and encodes Docker's answer; the shapes live in docker-image-json.ts and docker-progress.ts.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { BuildRequest } from '../../build/build-service.ts';
import { invalid, isMarinaError, MarinaError, notFound } from '../../errors.ts';
import type { ImageRecord } from '../../image/image-types.ts';
import { parsePlatform } from '../../image/platform.ts';
import { familiarizeReference, familiarName, parseReference, repositoryName } from '../../image/reference.ts';
import { abortOnClose, type HttpCall, http, type Route } from '../api-types.ts';
import { decodeRegistryConfig } from '../build-routes.ts';
import { queryFlag, readJson, sendJson } from '../http-io.ts';
import { decodeRegistryAuth } from '../registry-routes.ts';
import { parseWith } from '../request-schemas.ts';
import type { Router } from '../router.ts';
import { parseFilters, writeStreamError } from './docker-http.ts';
import {
  dockerImageHistory,
  dockerImageInspect,
  dockerImageSummary,
  imageFilter,
} from './docker-image-json.ts';
import {
  ClassicBuildOutput,
  type DockerJsonMessage,
  errorMessage,
  pullingFrom,
  pushAux,
  pushRefersTo,
  transferMessages,
} from './docker-progress.ts';

/** Image names travel unescaped in Docker's paths (`/images/127.0.0.1:5000/a/b/json`): up to this many segments. */
const maxNameSegments = 6;

/**
 * Adds `METHOD /images/<name>/<suffix>` for names of 1 to maxNameSegments segments, with the name joined back
 * into `params.name` (the router captures one segment per parameter).
 */
function addByName(
  router: Router<Route>,
  method: string,
  suffix: string,
  handle: (call: HttpCall, name: string) => Promise<void>,
): void {
  for (let count = 1; count <= maxNameSegments; count++) {
    const keys = Array.from({ length: count }, (_, i) => `n${i}`);
    const pattern = `/images/${keys.map((k) => `:${k}`).join('/')}${suffix === '' ? '' : `/${suffix}`}`;
    router.add(
      method,
      pattern,
      http((call) => handle(call, keys.map((k) => call.params[k]!).join('/'))),
    );
  }
}

/** How Docker shows a name in `No such image: …`: the familiar reference, or what was typed when it is not one. */
function displayName(name: string): string {
  try {
    return familiarName(parseReference(name));
  } catch {
    return name;
  }
}

/** The image, or Docker's `No such image: busybox:latest` (without Marina's hint, which names marina commands). */
async function lookupImage(call: HttpCall, name: string): Promise<ImageRecord> {
  try {
    return await call.ctx.engine.images.inspect(name);
  } catch (err) {
    if (isMarinaError(err, 'NotFound')) throw notFound(`No such image: ${displayName(name)}`);
    throw err;
  }
}

/**
 * A JSON-lines answer whose 200 goes out with its first line: a failure before any line is an ordinary error
 * status (docker prints `Error response from daemon: …`), one after it is Docker's error line.
 */
class LazyJsonStream {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get started(): boolean {
    return this.#res.headersSent;
  }

  write(messages: DockerJsonMessage[]): void {
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/json' });
    for (const message of messages) res.write(`${JSON.stringify(message)}\n`);
  }

  end(): void {
    if (!this.#res.headersSent) this.#res.writeHead(200, { 'content-type': 'application/json' });
    if (!this.#res.destroyed) this.#res.end();
  }

  /** Rethrows while nothing was sent, so the server answers with the error's status. */
  fail(err: unknown): void {
    if (!this.started) throw err;
    if (!this.#res.destroyed && !this.#res.writableEnded) writeStreamError(this.#res, err);
  }
}

/** `fromImage=busybox&tag=latest` (or `tag=sha256:…`, or a tag inside fromImage) as one reference. */
export function pullReference(fromImage: string, tag: string | null): string {
  if (!tag) return fromImage;
  return tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
}

async function pull(call: HttpCall, fromImage: string): Promise<void> {
  const { req, res, query, ctx } = call;
  const reference = pullReference(fromImage, query.get('tag'));
  const ref = parseReference(reference);
  const platform = query.get('platform') || undefined;
  if (platform !== undefined) parsePlatform(platform);
  const credentials = decodeRegistryAuth(req.headers['x-registry-auth']);
  const stream = new LazyJsonStream(res);
  const signal = abortOnClose(res);
  try {
    await ctx.transfer.pull(reference, {
      credentials,
      platform,
      signal,
      onProgress: (progress) => {
        // Docker's first line, sent once the registry has answered with a manifest (the first progress).
        if (!stream.started) stream.write([pullingFrom(ref.path, ref.digest ?? ref.tag!)]);
        stream.write(transferMessages(progress));
      },
    });
    stream.end();
  } catch (err) {
    stream.fail(err);
  }
}

/** `POST /images/create?fromSrc=-&repo=…&tag=…`: a rootfs tarball in the body becomes an image. */
async function importImage(call: HttpCall, fromSrc: string): Promise<void> {
  const { req, res, query, ctx } = call;
  if (fromSrc !== '-')
    throw new MarinaError(
      'Unsupported',
      `importing from a URL (${fromSrc}) is not supported: send the tarball as the body (fromSrc=-)`,
    );
  const repo = query.get('repo');
  if (!repo)
    throw invalid('import needs a repository name in ?repo= (docker import FILE NAME[:TAG])', {
      field: 'repo',
    });
  const record = await ctx.engine.images.import(req, pullReference(repo, query.get('tag')), {
    changes: query.getAll('changes'),
    message: query.get('message') || undefined,
  });
  sendJson(res, 200, { status: record.id });
}

async function push(call: HttpCall, name: string): Promise<void> {
  const { req, res, query, ctx } = call;
  const tag = query.get('tag');
  const reference = tag ? `${name}:${tag}` : name;
  const ref = parseReference(reference);
  const credentials = decodeRegistryAuth(req.headers['x-registry-auth']);
  // Docker's words when the image is missing; a 404 before the stream starts.
  await ctx.engine.images.inspect(reference).catch((err: unknown) => {
    if (isMarinaError(err, 'NotFound'))
      throw notFound(
        `An image does not exist locally with the tag: ${familiarName({ ...ref, tag: undefined })}`,
      );
    throw err;
  });
  const stream = new LazyJsonStream(res);
  stream.write([pushRefersTo(repositoryName(ref))]);
  try {
    const { digest, size } = await ctx.transfer.push(reference, {
      credentials,
      signal: abortOnClose(res),
      onProgress: (progress) => stream.write(transferMessages(progress)),
    });
    stream.write([pushAux(ref.tag ?? digest, digest, size)]);
    stream.end();
  } catch (err) {
    stream.fail(err);
  }
}

const loginBody = z.object({
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
  serveraddress: z.string().optional(),
});

/** `https://127.0.0.1:5000/v2/` → `127.0.0.1:5000`: docker sends the address as the user typed it. */
export function registryHostOf(serverAddress: string): string {
  return serverAddress.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

async function login(call: HttpCall): Promise<void> {
  const body = parseWith(loginBody, await readJson(call.req), 'login request');
  if (!body.serveraddress) throw invalid('login needs a serveraddress: the registry host[:port]');
  const result = await call.ctx.transfer.login(registryHostOf(body.serveraddress), {
    ...(body.username ? { username: body.username } : {}),
    ...(body.password ? { password: body.password } : {}),
    ...(body.identitytoken ? { identityToken: body.identitytoken } : {}),
  });
  sendJson(call.res, 200, {
    Status: result.status,
    ...(result.identityToken === undefined ? {} : { IdentityToken: result.identityToken }),
  });
}

async function listImages(call: HttpCall): Promise<void> {
  const { res, query, ctx } = call;
  const filters = parseFilters(query.get('filters'));
  // The old `filter=NAME` parameter (API < 1.41) is a reference filter.
  const legacy = query.get('filter');
  if (legacy) filters.set('reference', [...(filters.get('reference') ?? []), legacy]);
  const named = new Map<string, ImageRecord>();
  for (const name of [...(filters.get('before') ?? []), ...(filters.get('since') ?? [])])
    named.set(name, await lookupImage(call, name));
  const keep = imageFilter(filters, (name) => named.get(name));
  const images = (await ctx.engine.images.list()).filter(keep);
  sendJson(res, 200, images.map(dockerImageSummary));
}

/** Docker's words for an image rmi refuses without force: by ID it is the names, by name the containers. */
export function dockerRemoveConflict(name: string, id: string): string {
  const shortId = id.replace(/^sha256:/, '').slice(0, 12);
  const byId =
    /^(sha256:)?[0-9a-f]{1,64}$/.test(name) &&
    id.startsWith(name.startsWith('sha256:') ? name : `sha256:${name}`);
  return byId
    ? `conflict: unable to delete ${shortId} (must be forced) - image is referenced in multiple repositories or used by a container`
    : `conflict: unable to remove repository reference "${name}" (must force) - a container is using its referenced image ${shortId}`;
}

async function removeImage(call: HttpCall, name: string): Promise<void> {
  const { res, query, ctx } = call;
  const record = await lookupImage(call, name);
  let removed: { untagged: string[]; deleted: string[] };
  try {
    removed = await ctx.engine.images.remove(name, { force: queryFlag(query, 'force') });
  } catch (err) {
    if (!isMarinaError(err, 'Conflict')) throw err;
    throw new MarinaError('Conflict', dockerRemoveConflict(name, record.id), { cause: err });
  }
  sendJson(res, 200, [
    ...removed.untagged.map((tag) => ({ Untagged: tag })),
    ...removed.deleted.map((id) => ({ Deleted: id })),
  ]);
}

async function tagImage(call: HttpCall, name: string): Promise<void> {
  const { res, query, ctx } = call;
  const repo = query.get('repo');
  if (!repo)
    throw invalid('tag needs a repository in ?repo= (docker tag SOURCE TARGET[:TAG])', { field: 'repo' });
  await lookupImage(call, name);
  await ctx.engine.images.tag(name, pullReference(repo, query.get('tag')));
  res.writeHead(201).end();
}

async function saveImages(call: HttpCall, names: string[]): Promise<void> {
  if (names.length === 0) throw invalid('save needs at least one image in ?names=', { field: 'names' });
  // Resolve every name first so a typo is a 404, not a truncated tarball.
  for (const name of names) await lookupImage(call, name);
  call.res.writeHead(200, { 'content-type': 'application/x-tar' });
  await pipeline(call.ctx.engine.images.save(names), call.res);
}

async function loadImages(call: HttpCall): Promise<void> {
  const { req, res, ctx } = call;
  const { loaded } = await ctx.engine.images.load(req);
  const lines = loaded.map((name) =>
    name.startsWith('sha256:') ? `Loaded image ID: ${name}\n` : `Loaded image: ${name}\n`,
  );
  // Also with ?quiet: docker load -q prints these lines, only without progress (Marina sends none).
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(lines.map((stream) => `${JSON.stringify({ stream })}\n`).join(''));
}

async function pruneImages(call: HttpCall): Promise<void> {
  const filters = parseFilters(call.query.get('filters'));
  for (const key of filters.keys())
    if (key !== 'dangling')
      throw new MarinaError('Unsupported', `image prune filter '${key}' is not supported; use dangling`);
  const dangling = filters.get('dangling')?.[0];
  const { deleted, reclaimedBytes } = await call.ctx.engine.images.prune({
    all: dangling === 'false' || dangling === '0',
  });
  sendJson(call.res, 200, {
    ImagesDeleted: deleted.length === 0 ? null : deleted.map((id) => ({ Deleted: id })),
    SpaceReclaimed: reclaimedBytes,
  });
}

const stringMap = z.record(z.string(), z.string().nullable());

function jsonMapQuery(query: URLSearchParams, name: string): Record<string, string> {
  const raw = query.get(name);
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid(`query parameter ${name} must be a JSON object of strings, e.g. {"KEY":"value"}`, {
      field: name,
    });
  }
  // Docker sends null for `--build-arg KEY` with KEY unset in the client's environment: no value, so left out.
  const entries = Object.entries(parseWith(stringMap, parsed, name)).filter(
    (entry): entry is [string, string] => entry[1] !== null,
  );
  return Object.fromEntries(entries);
}

const networkModes: Record<string, BuildRequest['network']> = {
  '': 'default',
  default: 'default',
  bridge: 'default',
  none: 'none',
  host: 'host',
};

/** The classic builder's query (`docker build` with DOCKER_BUILDKIT=0) as a BuildRequest without its context. */
export function parseDockerBuildQuery(query: URLSearchParams): Omit<BuildRequest, 'context' | 'credentials'> {
  const remote = query.get('remote');
  if (remote)
    throw new MarinaError(
      'Unsupported',
      `a remote build context (${remote}) is not supported: send the context as a tar body`,
    );
  const tags = query.getAll('t').filter((t) => t !== '');
  for (const tag of tags) parseReference(tag);
  const mode = query.get('networkmode') ?? '';
  const network = networkModes[mode];
  if (network === undefined)
    throw invalid(`network mode "${mode}" is not supported for RUN: use default, bridge, none or host`, {
      field: 'networkmode',
    });
  const platform = query.get('platform') || undefined;
  if (platform !== undefined) parsePlatform(platform);
  const target = query.get('target') || undefined;
  return {
    dockerfile: { path: query.get('dockerfile') || 'Dockerfile' },
    tags,
    buildArgs: jsonMapQuery(query, 'buildargs'),
    labels: jsonMapQuery(query, 'labels'),
    noCache: queryFlag(query, 'nocache'),
    pull: queryFlag(query, 'pull'),
    network,
    ...(target === undefined ? {} : { target }),
    ...(platform === undefined ? {} : { platform }),
  };
}

async function build(call: HttpCall): Promise<void> {
  const { req, res, query, ctx } = call;
  const credentials = decodeRegistryConfig(req.headers['x-registry-config']);
  const request: BuildRequest = {
    ...parseDockerBuildQuery(query),
    context: { kind: 'tar', stream: req },
    ...(credentials === undefined ? {} : { credentials }),
  };
  const output = new ClassicBuildOutput({ quiet: queryFlag(query, 'q') });
  const signal = abortOnClose(res);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
  const write = (messages: DockerJsonMessage[]) => {
    if (res.destroyed || res.writableEnded) return;
    for (const message of messages) res.write(`${JSON.stringify(message)}\n`);
  };
  try {
    const result = await ctx.builds.build(request, (event) => write(output.event(event)), signal);
    write(output.result({ ...result, tags: result.tags.map(familiarizeReference) }));
  } catch (err) {
    if (isMarinaError(err, 'Internal') || !isMarinaError(err))
      ctx.logger.error({ err }, 'docker build failed');
    write([errorMessage(err)]);
  }
  if (!res.destroyed) res.end();
}

/** `?names=a&names=b` (docker save sends one per image). */
const namesQuery = (query: URLSearchParams) => query.getAll('names').filter((n) => n !== '');

export function addDockerImageRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/images/create',
      http(async (call) => {
        const fromSrc = call.query.get('fromSrc');
        if (fromSrc) return importImage(call, fromSrc);
        const fromImage = call.query.get('fromImage');
        if (!fromImage)
          throw invalid('images/create needs ?fromImage= (pull) or ?fromSrc= (import)', {
            field: 'fromImage',
          });
        return pull(call, fromImage);
      }),
    )
    .add('POST', '/auth', http(login))
    .add('GET', '/images/json', http(listImages))
    .add('POST', '/images/load', http(loadImages))
    .add('POST', '/images/prune', http(pruneImages))
    .add(
      'GET',
      '/images/get',
      http((call) => saveImages(call, namesQuery(call.query))),
    )
    .add('POST', '/build', http(build));
  addByName(router, 'GET', 'json', async (call, name) =>
    sendJson(call.res, 200, dockerImageInspect(await lookupImage(call, name))),
  );
  addByName(router, 'GET', 'history', async (call, name) =>
    sendJson(call.res, 200, dockerImageHistory(await lookupImage(call, name))),
  );
  addByName(router, 'GET', 'get', (call, name) => saveImages(call, [name]));
  addByName(router, 'POST', 'tag', tagImage);
  addByName(router, 'POST', 'push', push);
  addByName(router, 'DELETE', '', removeImage);
}
