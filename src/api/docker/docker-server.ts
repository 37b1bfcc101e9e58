/**
 * Docker's Engine API on its own socket (`marinad --docker-socket`), so the docker CLI, docker-compose and
 * the Docker SDKs work against Marina unmodified. Same machinery as the native API (createRoutedServer),
 * other paths and shapes: every handler here decodes Docker's request, calls the same engine, image,
 * network, volume, transfer and build services as the native routes, and encodes Docker's answer.
 * No behaviour lives here twice.
 */
import type { Server } from 'node:http';
import { MarinaError } from '../../errors.ts';
import type { ApiContext, Route } from '../api-types.ts';
import { Router } from '../router.ts';
import { type ApiDialect, createRoutedServer } from '../server.ts';
import { addDockerContainerRoutes } from './docker-container-routes.ts';
import { addDockerExecRoutes } from './docker-exec-routes.ts';
import { addDockerImageRoutes } from './docker-image-routes.ts';
import { addDockerNetworkRoutes, addDockerVolumeRoutes } from './docker-network-volume-routes.ts';
import { addDockerSystemRoutes } from './docker-system-routes.ts';
import { dockerApiVersion, dockerMinApiVersion, encodeDockerError } from './docker-http.ts';

export function buildDockerRouter(): Router<Route> {
  const router = new Router<Route>();
  addDockerSystemRoutes(router);
  addDockerContainerRoutes(router);
  addDockerExecRoutes(router);
  addDockerImageRoutes(router);
  addDockerNetworkRoutes(router);
  addDockerVolumeRoutes(router);
  return router;
}

/** `/v1.43/containers/json` → `/containers/json`; versions outside what Marina speaks get Docker's 400. */
export function dockerRoutePath(pathname: string): string {
  const match = /^\/v(\d+)\.(\d+)(\/.*)$/.exec(pathname);
  if (!match) return pathname;
  const version = `${Number(match[1])}.${Number(match[2])}`;
  if (compareVersions(version, dockerApiVersion) > 0) {
    throw new MarinaError('Invalid', `client version ${version} is too new. Maximum supported API version is ${dockerApiVersion}`);
  }
  if (compareVersions(version, dockerMinApiVersion) < 0) {
    throw new MarinaError(
      'Invalid',
      `client version ${version} is too old. Minimum supported API version is ${dockerMinApiVersion}, please upgrade your client to a newer version`,
    );
  }
  return match[3]!;
}

export function compareVersions(a: string, b: string): number {
  const [aMajor, aMinor] = a.split('.').map(Number) as [number, number];
  const [bMajor, bMinor] = b.split('.').map(Number) as [number, number];
  return aMajor - bMajor || aMinor - bMinor;
}

export function createDockerApiServer(ctx: ApiContext): Server {
  const dialect: ApiDialect = {
    routePath: dockerRoutePath,
    encodeError: encodeDockerError,
    headers: { 'Api-Version': dockerApiVersion, Server: `Docker/${ctx.version} (linux)`, Ostype: 'linux' },
  };
  return createRoutedServer(ctx, [{ router: buildDockerRouter(), dialect }]);
}
