/**
 * Pull, push and login against any registry (`/v1/images/pull|push`, `/v1/auth`), and the administration of the
 * built-in registry (`/v1/registry/…`: users, anonymous pull, gc). Pull and push stream their progress as JSON
 * lines, like `/v1/images/seed`, and stop when the client goes away.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { invalid } from '../errors.ts';
import { normalizeReference, parseReference } from '../image/reference.ts';
import type { RegistryCredentials, TransferProgress } from '../registry/client/image-transfer.ts';
import { parsePlatform } from '../image/platform.ts';
import { abortOnClose, http, type Route } from './api-types.ts';
import {
  queryFlag,
  queryInt,
  readJson,
  requireQuery,
  sendError,
  sendJson,
  sendNoContent,
} from './http-io.ts';
import { parseWith } from './request-schemas.ts';
import type { Router } from './router.ts';

/** Blobs younger than this may belong to a push still under way. */
const defaultGcMinAgeSeconds = 600;

// Docker's clients put more in this header (email, auth) than Marina uses; those fields are ignored, not refused.
const registryAuthHeader = z.object({
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
  serveraddress: z.string().optional(),
});

const loginBody = z.strictObject({
  serveraddress: z.string().min(1),
  username: z.string().min(1),
  password: z.string().min(1),
});

const userBody = z.strictObject({
  name: z.string().min(1),
  password: z.string().min(1),
  pullOnly: z.boolean().optional(),
});

const patternBody = z.strictObject({ pattern: z.string().min(1) });

/**
 * Decodes `X-Registry-Auth`: base64url (or plain base64, as older Docker clients send) of a JSON object.
 * Absent or empty is no credentials.
 */
export function decodeRegistryAuth(header: string | string[] | undefined): RegistryCredentials | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value.trim()))
    throw invalid(
      'X-Registry-Auth must be base64url-encoded JSON {username, password, identitytoken?, serveraddress}',
    );
  // Node's base64 decoder reads both alphabets, so one call covers base64url and base64.
  const text = Buffer.from(value.trim(), 'base64').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(
      'X-Registry-Auth does not decode to JSON: send base64url of {"username": …, "password": …}',
    );
  }
  const auth = parseWith(registryAuthHeader, json, 'X-Registry-Auth');
  const credentials: RegistryCredentials = {};
  if (auth.username) credentials.username = auth.username;
  if (auth.password) credentials.password = auth.password;
  if (auth.identitytoken) credentials.identityToken = auth.identitytoken;
  return Object.keys(credentials).length > 0 ? credentials : undefined;
}

/**
 * Runs a transfer with its progress streamed as `{"progress": …}` lines and its outcome as `{"result": …}`,
 * or as an error line once the 200 has gone out.
 */
async function streamTransfer(
  res: ServerResponse,
  run: (onProgress: (progress: TransferProgress) => void, signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const signal = abortOnClose(res);
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  res.flushHeaders();
  const writeLine = (value: unknown) => {
    if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify(value)}\n`);
  };
  try {
    const result = await run((progress) => writeLine({ progress }), signal);
    if (!res.destroyed) res.end(`${JSON.stringify({ result })}\n`);
  } catch (err) {
    if (!res.destroyed) sendError(res, err);
  }
}

/** The reference, checked before the 200 goes out so a typo is a plain 400. */
function referenceQuery(query: URLSearchParams): string {
  const reference = requireQuery(query, 'ref');
  parseReference(reference);
  return reference;
}

export function addRegistryRoutes(router: Router<Route>): void {
  router
    .add(
      'POST',
      '/v1/images/pull',
      http(async ({ req, res, query, ctx }) => {
        const reference = referenceQuery(query);
        // Checked here too, so a typo is a plain 400 rather than an error line after the 200.
        const platform = query.get('platform') || undefined;
        if (platform !== undefined) parsePlatform(platform);
        const credentials = decodeRegistryAuth(req.headers['x-registry-auth']);
        await streamTransfer(res, async (onProgress, signal) => {
          const { image, digest } = await ctx.transfer.pull(reference, {
            credentials,
            platform,
            onProgress,
            signal,
          });
          return { reference: normalizeReference(reference), digest, id: image.id };
        });
      }),
    )
    .add(
      'POST',
      '/v1/images/push',
      http(async ({ req, res, query, ctx }) => {
        const reference = referenceQuery(query);
        const credentials = decodeRegistryAuth(req.headers['x-registry-auth']);
        // A missing image is a 404 before the stream starts, not an error line after it.
        await ctx.engine.images.inspect(reference);
        await streamTransfer(res, async (onProgress, signal) => {
          const { digest, size } = await ctx.transfer.push(reference, { credentials, onProgress, signal });
          return { reference: normalizeReference(reference), digest, size };
        });
      }),
    )
    .add(
      'POST',
      '/v1/auth',
      http(async ({ req, res, ctx }) => {
        const { serveraddress, username, password } = parseWith(
          loginBody,
          await readJson(req),
          'login request',
        );
        sendJson(res, 200, await ctx.transfer.login(serveraddress, { username, password }));
      }),
    )
    .add(
      'GET',
      '/v1/registry/users',
      http(async ({ res, ctx }) => sendJson(res, 200, await ctx.registry.access.listUsers())),
    )
    .add(
      'POST',
      '/v1/registry/users',
      http(async ({ req, res, ctx }) => {
        const { name, password, pullOnly } = parseWith(
          userBody,
          await readJson(req),
          'registry user request',
        );
        sendJson(
          res,
          201,
          await ctx.registry.access.addUser(name, password, { pullOnly: pullOnly ?? false }),
        );
      }),
    )
    .add(
      'DELETE',
      '/v1/registry/users/:name',
      http(async ({ res, params, ctx }) => {
        await ctx.registry.access.removeUser(params.name!);
        sendNoContent(res);
      }),
    )
    .add(
      'GET',
      '/v1/registry/anonymous-pull',
      http(async ({ res, ctx }) => sendJson(res, 200, await ctx.registry.access.listAnonymousPull())),
    )
    .add(
      'POST',
      '/v1/registry/anonymous-pull',
      http(async ({ req, res, ctx }) => {
        const { pattern } = parseWith(patternBody, await readJson(req), 'anonymous pull request');
        await ctx.registry.access.addAnonymousPull(pattern);
        sendJson(res, 201, { pattern });
      }),
    )
    .add(
      'DELETE',
      '/v1/registry/anonymous-pull',
      http(async ({ res, query, ctx }) => {
        await ctx.registry.access.removeAnonymousPull(requireQuery(query, 'pattern'));
        sendNoContent(res);
      }),
    )
    .add(
      'POST',
      '/v1/registry/gc',
      http(async ({ res, query, ctx }) => {
        const minAgeSeconds = queryInt(query, 'minAge') ?? defaultGcMinAgeSeconds;
        if (minAgeSeconds < 0) throw invalid('minAge must be 0 or more seconds', { field: 'minAge' });
        const result = await ctx.registry.distribution.collectGarbage({
          minAgeSeconds,
          untagged: queryFlag(query, 'untagged'),
          dryRun: queryFlag(query, 'dryRun'),
        });
        sendJson(res, 200, result);
      }),
    );
}
