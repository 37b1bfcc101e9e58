/**
 * The native REST API (docs/api.md) on plain node:http: attach and exec need the raw socket of an HTTP
 * Upgrade, and logs, events, wait and image transfers stream, so Node's own server stays the clearest fit.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { asMarinaError, MarinaError } from '../errors.ts';
import type { ApiContext, Route } from './api-types.ts';
import { addBuildRoutes } from './build-routes.ts';
import { addContainerRoutes } from './container-routes.ts';
import { answerWithoutStream, bridgeStdio, isUpgradeRequest, rejectUpgrade, serveStdio } from './hijack.ts';
import { type ErrorEncoder, errorResponse, sendError } from './http-io.ts';
import { addImageRoutes, addVolumeRoutes } from './image-volume-routes.ts';
import { addNetworkRoutes } from './network-routes.ts';
import { addRegistryRoutes } from './registry-routes.ts';
import { Router } from './router.ts';
import { encodeKubeError } from './cluster/kube-status.ts';
import { addKubeRoutes, kubeRoutePath } from './cluster/kube-routes.ts';
import { isKubePath } from './cluster/kube-path.ts';
import { addSystemRoutes } from './system-routes.ts';

export type { ApiContext, SeedImage } from './api-types.ts';

export function buildRouter(): Router<Route> {
  const router = new Router<Route>();
  addSystemRoutes(router);
  addContainerRoutes(router);
  addImageRoutes(router);
  addVolumeRoutes(router);
  addNetworkRoutes(router);
  addRegistryRoutes(router);
  addBuildRoutes(router);
  return router;
}

/**
 * What differs between the APIs served on the same machinery: the native one, and Docker's Engine API
 * (src/api/docker/), which has versioned paths, its own error body and headers on every answer.
 */
export interface ApiDialect {
  /** The router path of a request path; throws (e.g. an API version out of range) to refuse it. */
  routePath(pathname: string): string;
  encodeError: ErrorEncoder;
  /** Sent with every answer. */
  headers: Record<string, string>;
}

const nativeDialect: ApiDialect = {
  routePath: (pathname) => pathname,
  encodeError: errorResponse,
  headers: {},
};

/** One API served on a socket: its routes and dialect, and which paths are its (absent: all the rest). */
export interface ApiMount {
  router: Router<Route>;
  dialect: ApiDialect;
  serves?(pathname: string): boolean;
}

/** The Kubernetes-style control-plane API, beside the native one on the same socket. */
function kubeMount(): ApiMount {
  const router = new Router<Route>();
  addKubeRoutes(router);
  return { router, dialect: { routePath: kubeRoutePath, encodeError: encodeKubeError, headers: {} }, serves: isKubePath };
}

function mountFor(mounts: readonly ApiMount[], req: IncomingMessage): ApiMount {
  const pathname = new URL(req.url ?? '/', 'http://marina').pathname;
  return mounts.find((m) => !m.serves || m.serves(pathname)) ?? mounts.at(-1)!;
}

function resolve(router: Router<Route>, dialect: ApiDialect, req: IncomingMessage) {
  const url = new URL(req.url ?? '/', 'http://marina');
  const path = dialect.routePath(url.pathname);
  const found = router.match(req.method ?? 'GET', path);
  if (found === undefined) throw new MarinaError('NotFound', `no API route ${req.method} ${url.pathname}: see docs/api.md`);
  if (found === 'method-not-allowed') {
    throw new MarinaError('NotFound', `${url.pathname} does not take ${req.method}: see docs/api.md for its methods`);
  }
  return { route: found.handler, params: found.params, query: url.searchParams };
}

export function createApiServer(ctx: ApiContext): Server {
  return createRoutedServer(ctx, [kubeMount(), { router: buildRouter(), dialect: nativeDialect }]);
}

/** An HTTP server that dispatches to `router`'s routes: plain requests, and stdio streams (hijacked by Upgrade, or plain where the route accepts it). */
export function createRoutedServer(ctx: ApiContext, mounts: readonly ApiMount[]): Server {
  const log = (req: IncomingMessage, err: unknown) => {
    const error = asMarinaError(err);
    if (error.code === 'Internal') ctx.logger.error({ err, method: req.method, url: req.url }, 'request failed');
    else ctx.logger.debug({ code: error.code, method: req.method, url: req.url }, error.message);
  };

  const server = createServer(async (req, res) => {
    const { router, dialect } = mountFor(mounts, req);
    for (const [name, value] of Object.entries(dialect.headers)) res.setHeader(name, value);
    try {
      const { route, params, query } = resolve(router, dialect, req);
      if (route.kind === 'http') {
        await route.handle({ req, res, params, query, ctx });
        return;
      }
      if (!route.acceptsPlain) {
        throw new MarinaError('Invalid', `${req.url} streams stdio: send it with Connection: Upgrade and Upgrade: tcp`);
      }
      const stdio = await route.open({ req, params, query, ctx, hijacked: false });
      if (stdio) serveStdio(stdio, req, res);
      else res.writeHead(200, { 'content-length': 0 }).end();
    } catch (err) {
      log(req, err);
      if (!res.destroyed) sendError(res, err, dialect.encodeError);
    }
  });

  server.on('upgrade', async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Hold the client's bytes (stdin) while the engine opens the stdio; bridgeStdio resumes.
    socket.pause();
    socket.on('error', () => socket.destroy());
    const { router, dialect } = mountFor(mounts, req);
    try {
      if (!isUpgradeRequest(req.headers)) throw new MarinaError('Invalid', 'expected Connection: Upgrade');
      const { route, params, query } = resolve(router, dialect, req);
      if (route.kind !== 'upgrade') throw new MarinaError('Invalid', `${req.url} is not a stdio stream; send it without Upgrade`);
      const stdio = await route.open({ req, params, query, ctx, hijacked: true });
      if (stdio) bridgeStdio(stdio, socket, head);
      else answerWithoutStream(socket);
    } catch (err) {
      log(req, err);
      rejectUpgrade(socket, err, dialect.encodeError);
    }
  });
  return server;
}
