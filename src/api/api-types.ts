/** What every handler receives, and the two kinds of route: ordinary HTTP and hijacked (HTTP Upgrade). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { BuildService } from '../build/build-service.ts';
import type { AttachedStdio, Engine } from '../engine/services.ts';
import type { ImageTransfer } from '../registry/client/image-transfer.ts';
import type { RegistryAccessAdmin } from '../registry/server/auth/authorizer.ts';
import type { Distribution } from '../registry/server/distribution.ts';

/** Seeds a built-in image (busybox, debian), reporting progress lines; resolves with its reference. */
export type SeedImage = (name: string, onProgress: (line: string) => void) => Promise<{ reference: string }>;

export interface ApiContext {
  engine: Engine;
  logger: Logger;
  version: string;
  seedImage: SeedImage;
  /** Pull and push against any registry. */
  transfer: ImageTransfer;
  /** The built-in registry's storage and access (kept even when it does not listen: users can be set up first). */
  registry: { distribution: Distribution; access: RegistryAccessAdmin };
  /** Dockerfile builds (`POST /v1/build`). */
  builds: BuildService;
}

export interface HttpCall {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  ctx: ApiContext;
}

export type Route =
  | { kind: 'http'; handle: (call: HttpCall) => Promise<void> }
  /** Opens the stdio to bridge once the connection has switched protocols. */
  | { kind: 'upgrade'; open: (call: Omit<HttpCall, 'res'>) => Promise<AttachedStdio> };

export const http = (handle: (call: HttpCall) => Promise<void>): Route => ({ kind: 'http', handle });
export const upgrade = (open: (call: Omit<HttpCall, 'res'>) => Promise<AttachedStdio>): Route => ({
  kind: 'upgrade',
  open,
});

/** Aborts when the client goes away, so long-running engine calls (wait, follow, events) stop with it. */
export function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  return controller.signal;
}
