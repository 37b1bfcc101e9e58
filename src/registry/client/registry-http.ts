/**
 * HTTP to registries with node:http/https (not fetch): per-host CA certificates from
 * `<certsDir>/<host:port>/ca.crt` (like /etc/docker/certs.d), and plain HTTP where allowed. HTTPS is
 * tried first; for insecure and loopback hosts a failing TLS connection falls back to HTTP. The working
 * scheme is remembered per host. Keep-alive agents are shared by all transfers.
 */
import { readFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { MarinaError } from '../../errors.ts';
import { isListedInsecure, isLoopbackHost } from './registry-host.ts';

export type RequestBody = Buffer | Readable | AsyncIterable<Buffer>;

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: OutgoingHttpHeaders;
  body?: RequestBody;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
}

export interface RegistryHttpOptions {
  insecureRegistries: string[];
  certsDir: string;
  logger: Logger;
}

export class RegistryHttp {
  private readonly insecureRegistries: string[];
  private readonly certsDir: string;
  private readonly logger: Logger;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  private readonly baseUrls = new Map<string, Promise<URL>>();
  private readonly cas = new Map<string, Promise<string[] | undefined>>();

  constructor(options: RegistryHttpOptions) {
    this.insecureRegistries = options.insecureRegistries;
    this.certsDir = options.certsDir;
    this.logger = options.logger;
  }

  /** `https://host/` or `http://host/`, found once per host by pinging `/v2/`. */
  baseUrl(host: string, signal?: AbortSignal): Promise<URL> {
    let found = this.baseUrls.get(host);
    if (found === undefined) {
      found = this.probeScheme(host, signal);
      this.baseUrls.set(host, found);
      // A failed probe is not remembered: the registry may come up later.
      found.catch(() => this.baseUrls.delete(host));
    }
    return found;
  }

  private async probeScheme(host: string, signal?: AbortSignal): Promise<URL> {
    const httpsUrl = new URL(`https://${host}/`);
    try {
      await this.ping(httpsUrl, signal);
      return httpsUrl;
    } catch (tlsErr) {
      if (!this.isInsecure(host) || signal?.aborted) throw unreachable(host, tlsErr);
      const httpUrl = new URL(`http://${host}/`);
      try {
        await this.ping(httpUrl, signal);
      } catch {
        throw unreachable(host, tlsErr);
      }
      this.logger.info({ host, reason: (tlsErr as Error).message }, 'registry: HTTPS failed, using plain HTTP');
      return httpUrl;
    }
  }

  private async ping(base: URL, signal?: AbortSignal): Promise<void> {
    const response = await this.send({ method: 'GET', url: new URL('/v2/', base), signal });
    response.body.resume();
    // Any HTTP answer (401 included) proves the scheme; a plain-HTTP server answering a TLS hello does not.
    if (response.status >= 500 && base.protocol === 'http:') {
      throw new Error(`HTTP ${response.status} from ${base.href}v2/`);
    }
  }

  /** Like Docker: listed hosts and loopback may use plain HTTP, or TLS without a verified certificate. */
  private isInsecure(host: string): boolean {
    return isListedInsecure(host, this.insecureRegistries) || isLoopbackHost(host);
  }

  /** One request, no redirects, no auth; the caller reads or drains the body. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const { url } = request;
    const secure = url.protocol === 'https:';
    const tls = secure
      ? {
          agent: this.httpsAgent,
          ca: await this.caFor(url.host),
          rejectUnauthorized: !this.isInsecure(url.host),
        }
      : { agent: this.httpAgent };
    const headers: OutgoingHttpHeaders = { 'user-agent': 'marina', ...request.headers };
    if (Buffer.isBuffer(request.body)) headers['content-length'] = request.body.length;
    return new Promise<HttpResponse>((resolve, reject) => {
      const options = { method: request.method, headers, signal: request.signal, ...tls };
      const req = (secure ? https : http).request(url, options, (res) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url }),
      );
      req.on('error', reject);
      const body = request.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else pipeline(body instanceof Readable ? body : Readable.from(body), req).catch(reject);
    });
  }

  /** The operator's CA for `host` (`<certsDir>/<host:port>/ca.crt`), added to the system roots. */
  private caFor(host: string): Promise<string[] | undefined> {
    let ca = this.cas.get(host);
    if (ca === undefined) {
      // `ca` replaces Node's roots, so they are kept beside the operator's own.
      ca = readFile(join(this.certsDir, host, 'ca.crt'), 'utf8').then(
        (own) => [own, ...rootCertificates],
        () => undefined,
      );
      this.cas.set(host, ca);
    }
    return ca;
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function unreachable(host: string, cause: unknown): MarinaError {
  const reason = (cause as Error).message;
  const certHint = /certificate|self.signed|SSL|TLS/i.test(reason)
    ? `; trust its CA by placing it in certs.d/${host}/ca.crt under the state root, or start marinad with --insecure-registry ${host}`
    : '';
  return new MarinaError('Unavailable', `cannot reach registry ${host}: ${reason}${certHint}`, { cause });
}

/** Reads a (small) response body whole; `limit` guards against a hostile or broken registry. */
export async function readBody(response: HttpResponse, limit = 4 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      response.body.destroy();
      throw new MarinaError('Invalid', `response from ${response.url.host} is larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
