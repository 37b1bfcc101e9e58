/**
 * `POST /v1/build`: decodes the query, the context (a tar body, a directory on this machine, or Dockerfile text) and
 * the registry credentials into a BuildRequest, then streams the build's events as JSON lines. Everything a client
 * can get wrong in the request is a 400 before the 200 goes out; after it, a failure is the last line.
 */
import { isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { BuildContextSource, BuildEvent, BuildRequest } from '../build/build-service.ts';
import { asMarinaError, invalid } from '../errors.ts';
import { parseReference } from '../image/reference.ts';
import { parsePlatform } from '../image/platform.ts';
import { abortOnClose, http, type Route } from './api-types.ts';
import { queryFlag } from './http-io.ts';
import { parseWith } from './request-schemas.ts';
import type { Router } from './router.ts';

/** A Dockerfile sent as the body; far above any real one, low enough that a wrong body is not held in memory. */
const maxDockerfileBytes = 4 * 1024 * 1024;

/** An empty tar archive (two zero blocks): the context of a build whose only input is Dockerfile text. */
const emptyTar = (): Readable => Readable.from([Buffer.alloc(1024)]);

const stringMap = z.record(z.string(), z.string());

const buildQuery = z.strictObject({
  t: z.array(z.string()),
  dockerfile: z.string().min(1).optional(),
  buildargs: stringMap,
  labels: stringMap,
  target: z.string().min(1).optional(),
  nocache: z.boolean(),
  pull: z.boolean(),
  platform: z.string().optional(),
  network: z.enum(['default', 'none', 'host']),
  contextPath: z.string().optional(),
});

// Docker's clients put more in each entry (email, serveraddress) than a pull uses; those are ignored, not refused.
const registryConfig = z.record(
  z.string(),
  z.object({
    username: z.string().optional(),
    password: z.string().optional(),
    /** base64("user:password"), as config.json stores it; used when username/password are absent. */
    auth: z.string().optional(),
    identitytoken: z.string().optional(),
  }),
);

const knownQueryParameters = new Set([
  't',
  'dockerfile',
  'buildargs',
  'labels',
  'target',
  'nocache',
  'pull',
  'platform',
  'network',
  'contextPath',
]);

function jsonQuery(query: URLSearchParams, name: string): unknown {
  const value = query.get(name);
  if (value === null || value === '') return {};
  try {
    return JSON.parse(value);
  } catch {
    throw invalid(`query parameter ${name} must be a JSON object of strings, e.g. {"KEY":"value"}`, {
      field: name,
    });
  }
}

/** Everything in the query but the context, validated; `contextPath` is returned for the caller to pair with the body. */
export function parseBuildQuery(
  query: URLSearchParams,
): Omit<BuildRequest, 'context' | 'dockerfile' | 'credentials'> & {
  dockerfile?: string;
  contextPath?: string;
} {
  for (const name of query.keys()) {
    if (!knownQueryParameters.has(name))
      throw invalid(`unknown query parameter "${name}" for POST /v1/build: see docs/api.md`, { field: name });
  }
  const parsed = parseWith(
    buildQuery,
    {
      t: query.getAll('t').filter((t) => t !== ''),
      dockerfile: query.get('dockerfile') || undefined,
      buildargs: jsonQuery(query, 'buildargs'),
      labels: jsonQuery(query, 'labels'),
      target: query.get('target') || undefined,
      nocache: queryFlag(query, 'nocache'),
      pull: queryFlag(query, 'pull'),
      platform: query.get('platform') || undefined,
      network: query.get('network') || 'default',
      contextPath: query.get('contextPath') || undefined,
    },
    'build request',
  );
  for (const tag of parsed.t) parseReference(tag);
  if (parsed.platform !== undefined) parsePlatform(parsed.platform);
  if (parsed.contextPath !== undefined && !isAbsolute(parsed.contextPath))
    throw invalid(
      `contextPath "${parsed.contextPath}" must be an absolute directory on the daemon's machine`,
      {
        field: 'contextPath',
      },
    );
  if (parsed.dockerfile !== undefined && isAbsolute(parsed.dockerfile) && parsed.contextPath === undefined)
    throw invalid(
      `dockerfile "${parsed.dockerfile}" is absolute, but the context is a tar: name a path inside the archive`,
      { field: 'dockerfile' },
    );
  return {
    tags: parsed.t,
    buildArgs: parsed.buildargs,
    labels: parsed.labels,
    noCache: parsed.nocache,
    pull: parsed.pull,
    network: parsed.network,
    ...(parsed.dockerfile === undefined ? {} : { dockerfile: parsed.dockerfile }),
    ...(parsed.target === undefined ? {} : { target: parsed.target }),
    ...(parsed.platform === undefined ? {} : { platform: parsed.platform }),
    ...(parsed.contextPath === undefined ? {} : { contextPath: parsed.contextPath }),
  };
}

/**
 * Decodes `X-Registry-Config`: base64url (or base64) JSON `{host: {username, password, identitytoken}}` as Docker's
 * clients send it. Absent or empty is no credentials.
 */
export function decodeRegistryConfig(header: string | string[] | undefined): BuildRequest['credentials'] {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '') return undefined;
  let json: unknown;
  try {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) throw new Error('not base64');
    // Node's base64 decoder reads both alphabets, so one call covers base64url and base64.
    json = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw invalid(
      'X-Registry-Config must be base64url-encoded JSON {"registry.host": {"username": …, "password": …}}',
    );
  }
  const entries = parseWith(registryConfig, json, 'X-Registry-Config');
  const credentials: NonNullable<BuildRequest['credentials']> = {};
  for (const [host, entry] of Object.entries(entries)) {
    let { username, password } = entry;
    if (username === undefined && entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    }
    const found = {
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(entry.identitytoken ? { identitytoken: entry.identitytoken } : {}),
    };
    if (Object.keys(found).length > 0) credentials[host] = found;
  }
  return Object.keys(credentials).length > 0 ? credentials : undefined;
}

async function readText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxDockerfileBytes)
      throw invalid(`the Dockerfile sent as the body is larger than ${maxDockerfileBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isTextBody = (contentType: string | undefined): boolean =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'text/plain';

export function addBuildRoutes(router: Router<Route>): void {
  router.add(
    'POST',
    '/v1/build',
    http(async ({ req, res, query, ctx }) => {
      const { contextPath, dockerfile: dockerfilePath, ...options } = parseBuildQuery(query);
      const credentials = decodeRegistryConfig(req.headers['x-registry-config']);
      // A text/plain body is the Dockerfile itself (`-f -`, or `marina build - < Dockerfile`): with contextPath the
      // context is that directory, without one it is empty, as docker does for a Dockerfile on stdin.
      let context: BuildContextSource;
      let dockerfile: BuildRequest['dockerfile'];
      if (isTextBody(req.headers['content-type'])) {
        if (dockerfilePath !== undefined)
          throw invalid('the body is the Dockerfile (text/plain): leave out ?dockerfile=', {
            field: 'dockerfile',
          });
        dockerfile = { text: await readText(req) };
        context =
          contextPath === undefined
            ? { kind: 'tar', stream: emptyTar() }
            : { kind: 'directory', path: contextPath };
      } else {
        if (dockerfilePath !== undefined) dockerfile = { path: dockerfilePath };
        context =
          contextPath === undefined ? { kind: 'tar', stream: req } : { kind: 'directory', path: contextPath };
        // The body is not read with a directory context; drain it so the connection can be reused.
        if (contextPath !== undefined) req.resume();
      }
      const request: BuildRequest = {
        ...options,
        context,
        ...(dockerfile === undefined ? {} : { dockerfile }),
        ...(credentials === undefined ? {} : { credentials }),
      };

      const signal = abortOnClose(res);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.flushHeaders();
      let resultSent = false;
      const writeLine = (value: BuildEvent | { type: 'error'; error: unknown }) => {
        if (value.type === 'result') resultSent = true;
        if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify(value)}\n`);
      };
      try {
        const result = await ctx.builds.build(request, writeLine, signal);
        // Clients wait for a result line; the service may or may not have reported it as an event.
        if (!resultSent) writeLine({ type: 'result', ...result });
      } catch (err) {
        const error = asMarinaError(err);
        if (error.code === 'Internal') ctx.logger.error({ err }, 'build failed');
        writeLine({ type: 'error', error: error.toJSON() });
      }
      if (!res.destroyed) res.end();
    }),
  );
}
