/**
 * The engine's registry client (ImageTransfer): pull, push and login against any registry speaking the
 * OCI Distribution spec, over one shared HTTP layer (schemes, CAs, keep-alive) and one token cache.
 */
import type { Logger } from 'pino';
import type { ContentCollector } from '../../content/content-collector.ts';
import type { ContentStore, Digest } from '../../content/content-store.ts';
import type { ImageRecord } from '../../image/image-types.ts';
import type {
  ImageTarget,
  ImageTransfer,
  PullOptions,
  PushOptions,
  RegistryCredentials,
} from './image-transfer.ts';
import { loginToRegistry } from './login.ts';
import { type PullContext, pullImage } from './pull.ts';
import { pushImage } from './push.ts';
import { RegistryHttp } from './registry-http.ts';
import { AuthCache, RegistrySession, type SessionOptions } from './registry-session.ts';

export interface RegistryClientOptions {
  content: ContentStore;
  collector: ContentCollector;
  images: ImageTarget;
  /** Hosts (`host` or `host:port`) that may be spoken to in plain HTTP or with unverified TLS. */
  insecureRegistries: string[];
  /** `<certsDir>/<host:port>/ca.crt` is trusted for that registry, like /etc/docker/certs.d. */
  certsDir: string;
  logger: Logger;
}

export class RegistryClient implements ImageTransfer {
  private readonly http: RegistryHttp;
  private readonly cache = new AuthCache();
  private readonly context: PullContext;

  constructor(options: RegistryClientOptions) {
    this.http = new RegistryHttp(options);
    const session = (sessionOptions: SessionOptions) => new RegistrySession(this.http, this.cache, sessionOptions);
    this.context = {
      content: options.content,
      collector: options.collector,
      images: options.images,
      logger: options.logger,
      session,
    };
  }

  pull(reference: string, options?: PullOptions): Promise<{ image: ImageRecord; digest: Digest }> {
    return pullImage(this.context, reference, options);
  }

  push(reference: string, options?: PushOptions): Promise<{ digest: Digest; size: number }> {
    return pushImage(this.context, reference, options);
  }

  login(server: string, credentials: RegistryCredentials): Promise<{ status: string; identityToken?: string }> {
    return loginToRegistry(this.http, this.cache, server, credentials);
  }

  /** Closes idle keep-alive connections (daemon shutdown, tests). */
  close(): void {
    this.http.close();
  }
}
