/**
 * The registry's HTTP(S) listener: the OCI Distribution v1.1 API under /v2/ and the token endpoint at
 * /auth/token, on plain node:http(s) so blobs stream both ways. Each request is parsed (route-table),
 * authorized once (skipped with `--registry-auth none`), handed to its handler, and any error becomes
 * the spec's error body (error-encoding). A path the registry does not serve is 404 NAME_UNKNOWN; a
 * method a path does not take is 405 UNSUPPORTED with an Allow header.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { MarinaError } from '../../../errors.ts';
import type { Authorizer, RequiredAccess, TokenEndpoint } from '../auth/authorizer.ts';
import type { Distribution } from '../distribution.ts';
import { handleBlob, handleUpload, handleUploadStart } from './blob-handlers.ts';
import { encodeRegistryError, errorBody } from './error-encoding.ts';
import { type RegistryExchange, sendJson } from './exchange.ts';
import { handleCatalog, handleManifest, handleReferrers, handleTags } from './manifest-handlers.ts';
import { readBounded } from './request-body.ts';
import { allowedMethods, parseRegistryPath, type RegistryRoute, requiredAccess } from './route-table.ts';

export interface RegistryServerOptions {
  distribution: Distribution;
  /** Undefined with `--registry-auth none`: every request is allowed and there is no token endpoint. */
  auth: { authorizer: Authorizer; tokenEndpoint: TokenEndpoint } | undefined;
  logger: Logger;
  tls?: { cert: string; key: string };
}

const maxDrainBytes = 16 * 1024 * 1024;

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.once('end', resolve).once('close', resolve).once('error', () => resolve());
    req.resume();
  });
}

/** An OAuth2 token form is a few hundred bytes; this only bounds what a stray client can make us buffer. */
const maxTokenFormBytes = 64 * 1024;

/** Not yet listening: the daemon calls `listen` with `--registry-addr`. */
export function createRegistryServer(options: RegistryServerOptions): Server | HttpsServer {
  const scheme = options.tls ? 'https' : 'http';
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void serve(options, scheme, req, res);
  };
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttpServer(handler);
  // A layer upload may take longer than Node's default 5 minutes per request; idle sockets still time out.
  server.requestTimeout = 0;
  return server;
}

async function serve(
  options: RegistryServerOptions,
  scheme: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { auth, logger } = options;
  res.setHeader('docker-distribution-api-version', 'registry/2.0');
  const url = new URL(req.url ?? '/', 'http://registry');
  const method = req.method ?? 'GET';
  const route = parseRegistryPath(url.pathname);
  const origin = `${scheme}://${req.headers.host ?? 'localhost'}`;
  const authorize = async (required: RequiredAccess) =>
    auth === undefined
      ? ({ allowed: true } as const)
      : auth.authorizer.authorize(req.headers, required, origin);
  try {
    if (route === undefined) {
      throw new MarinaError(
        'NotFound',
        `the registry serves nothing at ${url.pathname}: its API is under /v2/ (OCI Distribution) and /auth/token`,
      );
    }
    const allowed = allowedMethods(route);
    if (!allowed.includes(method)) {
      res.setHeader('allow', allowed.join(', '));
      throw new MarinaError(
        'Unsupported',
        `${url.pathname} does not take ${method}; it takes ${allowed.join(', ')}`,
      );
    }
    const required = requiredAccess(route, method);
    if (required !== undefined) {
      const decision = await authorize(required);
      if (!decision.allowed) {
        const body = errorBody(decision.code, decision.message);
        res.writeHead(decision.status, {
          ...decision.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
        return;
      }
    }
    const exchange: RegistryExchange = {
      req,
      res,
      query: url.searchParams,
      distribution: options.distribution,
      mayPull: async (repository) =>
        (await authorize({ type: 'repository', name: repository, actions: ['pull'] })).allowed,
    };
    await dispatch(exchange, route, auth?.tokenEndpoint);
  } catch (err) {
    const encoded = encodeRegistryError(err, route?.kind);
    const fields = { method, url: req.url, status: encoded.status, code: encoded.code };
    if (res.headersSent || req.socket.destroyed) {
      // A stream broke half way, mostly a client going away mid-upload or mid-download: there is no
      // one to answer, or the status is already gone, so cut it short.
      logger.debug({ ...fields, err }, 'registry request interrupted');
      res.destroy();
      return;
    }
    if (encoded.status >= 500) logger.error({ ...fields, err }, 'registry request failed');
    else logger.debug(fields, (err as Error).message);
    // A client still sending a refused body (an oversized manifest, say) would see EPIPE instead of the
    // answer if the connection closed under it: read small leftovers, close only for large ones.
    if (!req.complete && Number(req.headers['content-length'] ?? Infinity) <= maxDrainBytes) await drain(req);
    res.writeHead(encoded.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(encoded.body),
      // An unread large body: close instead of reading it.
      ...(req.complete ? {} : { connection: 'close' }),
    });
    res.end(encoded.body);
  }
}

async function dispatch(
  ex: RegistryExchange,
  route: RegistryRoute,
  tokenEndpoint: TokenEndpoint | undefined,
): Promise<void> {
  switch (route.kind) {
    case 'base':
      sendJson(ex.res, 200, {});
      return;
    case 'token':
      return handleToken(ex, tokenEndpoint);
    case 'catalog':
      return handleCatalog(ex);
    case 'tags':
      return handleTags(ex, route.name);
    case 'manifest':
      return handleManifest(ex, route.name, route.reference);
    case 'blob':
      return handleBlob(ex, route.name, route.digest);
    case 'uploads':
      return handleUploadStart(ex, route.name);
    case 'upload':
      return handleUpload(ex, route.name, route.uuid);
    case 'referrers':
      return handleReferrers(ex, route.name, route.digest);
  }
}

async function handleToken(ex: RegistryExchange, tokenEndpoint: TokenEndpoint | undefined): Promise<void> {
  if (tokenEndpoint === undefined) {
    throw new MarinaError(
      'NotFound',
      'this registry runs without authentication (--registry-auth none): it issues no tokens',
    );
  }
  const { req } = ex;
  let form: URLSearchParams | undefined;
  if (req.method === 'POST') {
    const body = await readBounded(req, maxTokenFormBytes);
    if (body === 'too-large')
      throw new MarinaError('Invalid', `a token request form must be under ${maxTokenFormBytes} bytes`);
    form = new URLSearchParams(body.toString('utf8'));
  }
  const answer = await tokenEndpoint.handle({
    method: req.method ?? 'GET',
    headers: req.headers,
    query: ex.query,
    form,
  });
  sendJson(ex.res, answer.status, answer.body, answer.headers ?? {});
}
