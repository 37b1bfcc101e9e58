/** What every handler receives, and the two kinds of route: ordinary HTTP and stdio streams (HTTP Upgrade). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { BuildService } from '../build/build-service.ts';
import type { KindCatalog } from '../cluster/apiserver/api-kind.ts';
import type { ResourceService } from '../cluster/apiserver/resource-service.ts';
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
  /** The control plane's API (`/api/v1/...`, `/apis/...`); absent where marinad runs no control plane. */
  cluster?: ClusterApi;
  /** Where the control plane is when this marinad joined another's (`--join`): cluster requests go there. */
  joinedControlPlane?: string;
}

/** What the cluster API routes need: the kinds served and the service behind them. */
export interface ClusterApi {
  kinds: KindCatalog;
  resources: ResourceService;
  /** The node this marinad's own agent runs (absent with --no-agent): pod logs and exec reach its pods only. */
  localNode?: string;
}

export interface HttpCall {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  ctx: ApiContext;
}

/** The call that opens a stdio stream: `hijacked` on an HTTP Upgrade; otherwise a plain request whose body is still unread. */
export interface StdioCall extends Omit<HttpCall, 'res'> {
  hijacked: boolean;
}

/** Opens the stdio to serve, or resolves `undefined` when there is none (a detached exec start): a 200 with no body. */
export type OpenStdio = (call: StdioCall) => Promise<AttachedStdio | undefined>;

export type Route =
  | { kind: 'http'; handle: (call: HttpCall) => Promise<void> }
  /**
   * A process's stdio, bridged both ways once the connection has switched protocols. With `acceptsPlain`
   * (Docker serves attach and exec start so) a request without Upgrade is served too: the output is the
   * body of a 200, and what remains of the request body is the process's stdin.
   */
  | { kind: 'upgrade'; open: OpenStdio; acceptsPlain: boolean };

export const http = (handle: (call: HttpCall) => Promise<void>): Route => ({ kind: 'http', handle });
export const upgrade = (open: OpenStdio, options: { acceptsPlain?: boolean } = {}): Route => ({
  kind: 'upgrade',
  open,
  acceptsPlain: options.acceptsPlain ?? false,
});

/** Aborts when the client goes away, so long-running engine calls (wait, follow, events) stop with it. */
export function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  return controller.signal;
}
