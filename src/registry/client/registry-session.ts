/**
 * Authenticated requests to one registry for one repository scope, following the Docker token spec:
 * a request answered 401 is retried once with what its `WWW-Authenticate` challenge asks for — a bearer
 * token from the realm (for `repository:NAME:pull[,push]`, with the caller's credentials when given) or
 * Basic credentials. Tokens are cached per host, credentials and scope until they expire.
 */
import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { MarinaError } from '../../errors.ts';
import type { RegistryCredentials } from './image-transfer.ts';
import { registryErrorFromResponse } from './registry-error-body.ts';
import { type HttpResponse, type RegistryHttp, type RequestBody, readBody } from './registry-http.ts';
import { type AuthChallenge, parseWwwAuthenticate } from './www-authenticate.ts';

export interface SessionOptions {
  host: string;
  /** e.g. `repository:a/b:pull,push`; none for `/v2/` itself (login). */
  scope?: string | undefined;
  credentials?: RegistryCredentials | undefined;
  signal?: AbortSignal | undefined;
}

export interface SessionRequest {
  headers?: OutgoingHttpHeaders;
  /** A factory, so that the body can be sent again after a 401. */
  body?: () => RequestBody;
  /** Follow 301/302/303/307/308 (blob downloads are often redirected to storage). */
  followRedirects?: boolean;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface TokenResponse {
  token: string;
  expiresInSeconds: number;
  refreshToken?: string;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 5;

/** Token and Basic-scheme memory shared by every transfer of one client. */
export class AuthCache {
  readonly tokens = new Map<string, CachedToken>();
  readonly pending = new Map<string, Promise<string>>();
  /** Hosts that answered with a Basic challenge: credentials go along from the first request. */
  readonly basicHosts = new Set<string>();
}

export class RegistrySession {
  readonly host: string;
  private readonly http: RegistryHttp;
  private readonly cache: AuthCache;
  private readonly scope: string | undefined;
  private readonly credentials: RegistryCredentials;
  private readonly signal: AbortSignal | undefined;

  constructor(http: RegistryHttp, cache: AuthCache, options: SessionOptions) {
    this.http = http;
    this.cache = cache;
    this.host = options.host;
    this.scope = options.scope;
    this.credentials = options.credentials ?? {};
    this.signal = options.signal;
  }

  /** `target` is a path on the registry (`/v2/…`) or an absolute URL (an upload Location). */
  async request(method: string, target: string | URL, init: SessionRequest = {}): Promise<HttpResponse> {
    const base = await this.http.baseUrl(this.host, this.signal);
    let url = typeof target === 'string' ? new URL(target, base) : target;
    let response = await this.authenticatedSend(method, url, init);
    for (let hops = 0; init.followRedirects && redirectStatuses.has(response.status); hops++) {
      const location = response.headers.location;
      response.body.resume();
      if (location === undefined || hops === maxRedirects) {
        throw new MarinaError('Unavailable', `${this.host} redirected ${method} ${url.pathname} too often or nowhere`);
      }
      url = new URL(location, url);
      // Credentials for this registry never go to another host (e.g. a storage bucket).
      response =
        url.host === this.host
          ? await this.authenticatedSend(method, url, init)
          : await this.http.send({ method, url, headers: init.headers, signal: this.signal });
    }
    return response;
  }

  private async authenticatedSend(method: string, url: URL, init: SessionRequest): Promise<HttpResponse> {
    const send = (authorization: string | undefined) =>
      this.http.send({
        method,
        url,
        headers: authorization === undefined ? init.headers : { ...init.headers, authorization },
        body: init.body?.(),
        signal: this.signal,
      });
    const response = await send(this.knownAuthorization());
    if (response.status !== 401) return response;
    response.body.resume();
    const authorization = await this.answerChallenge(challengesOf(response));
    const retried = await send(authorization);
    if (retried.status === 401) throw this.unauthorized(retried, await readBody(retried).catch(() => Buffer.alloc(0)));
    return retried;
  }

  /** What to send before any challenge: a cached token, or Basic for hosts known to want it. */
  private knownAuthorization(): string | undefined {
    if (this.cache.basicHosts.has(this.host)) return this.basicAuthorization();
    const cached = this.cache.tokens.get(this.tokenKey(this.scopes(undefined)));
    return cached !== undefined && cached.expiresAt > Date.now() ? `Bearer ${cached.token}` : undefined;
  }

  private async answerChallenge(challenges: AuthChallenge[]): Promise<string | undefined> {
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    if (bearer !== undefined) {
      const scopes = this.scopes(bearer.params.scope);
      const key = this.tokenKey(scopes);
      // Concurrent requests challenged together share one token request.
      let pending = this.cache.pending.get(key);
      if (pending === undefined) {
        pending = this.fetchToken(bearer, scopes).then((token) => {
          // A little early, so that a token never expires between the check and the request.
          const expiresAt = Date.now() + Math.max(token.expiresInSeconds - 10, 1) * 1000;
          this.cache.tokens.set(key, { token: token.token, expiresAt });
          return token.token;
        });
        this.cache.pending.set(key, pending);
        void pending.then(
          () => this.cache.pending.delete(key),
          () => this.cache.pending.delete(key),
        );
      }
      return `Bearer ${await pending}`;
    }
    if (challenges.some((challenge) => challenge.scheme === 'basic')) {
      this.cache.basicHosts.add(this.host);
      return this.basicAuthorization();
    }
    throw new MarinaError('Unauthorized', `${this.host} asks for authentication in a way Marina does not support`);
  }

  /**
   * A token from the challenge's realm: with a refresh token (identityToken) by the OAuth2 POST form,
   * otherwise by GET with Basic credentials when there are some, anonymously when not.
   */
  async fetchToken(challenge: AuthChallenge, scopes: string[], offline = false): Promise<TokenResponse> {
    const realm = realmOf(challenge, this.host);
    const { username, password, identityToken } = this.credentials;
    const service = challenge.params.service;
    if (identityToken !== undefined || (offline && password !== undefined)) {
      const form = new URLSearchParams({ client_id: 'marina' });
      if (identityToken !== undefined) {
        form.set('grant_type', 'refresh_token');
        form.set('refresh_token', identityToken);
      } else {
        form.set('grant_type', 'password');
        form.set('username', username ?? '');
        form.set('password', password ?? '');
        form.set('access_type', 'offline');
      }
      if (service !== undefined) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      const response = await this.http.send({
        method: 'POST',
        url: realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        signal: this.signal,
      });
      // Token servers without the OAuth2 form (the spec makes it optional) get the GET below instead.
      const formUnsupported = [404, 405].includes(response.status) && identityToken === undefined;
      if (!formUnsupported) return this.tokenFrom(response);
      response.body.resume();
    }
    const url = new URL(realm);
    if (service !== undefined) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    if (offline) url.searchParams.set('offline_token', 'true');
    const basic = this.basicAuthorization();
    const response = await this.http.send({
      method: 'GET',
      url,
      headers: basic === undefined ? {} : { authorization: basic },
      signal: this.signal,
    });
    return this.tokenFrom(response);
  }

  private async tokenFrom(response: HttpResponse): Promise<TokenResponse> {
    const body = await readBody(response, 1024 * 1024);
    if (response.status === 401 || response.status === 403) throw this.unauthorized(response, body);
    if (response.status !== 200) {
      throw registryErrorFromResponse(response.status, body.toString(), `token request to ${response.url.host}`);
    }
    const parsed = parseJsonObject(body);
    const token = parsed?.token ?? parsed?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new MarinaError('Unavailable', `the token server ${response.url.host} answered without a token`);
    }
    const expiresIn = typeof parsed?.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
    const refresh = parsed?.refresh_token;
    return typeof refresh === 'string'
      ? { token, expiresInSeconds: expiresIn, refreshToken: refresh }
      : { token, expiresInSeconds: expiresIn };
  }

  basicAuthorization(): string | undefined {
    const { username, password } = this.credentials;
    if (username === undefined || password === undefined) return undefined;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  unauthorized(response: HttpResponse, body: Buffer): MarinaError {
    const reason = registryErrorFromResponse(response.status, body.toString(), this.host).message;
    const hasCredentials = this.basicAuthorization() !== undefined || this.credentials.identityToken !== undefined;
    const message = hasCredentials
      ? `login to ${this.host} failed: ${reason}; check the credentials and run marina login ${this.host}`
      : `${this.host} requires authentication (${reason}); run marina login ${this.host}`;
    return new MarinaError('Unauthorized', message, { details: { registryCode: 'UNAUTHORIZED' } });
  }

  /**
   * The session's scope covers the whole transfer (pull, or pull and push), so one token serves every
   * request; the challenge's scope is added only when it asks for something else.
   */
  private scopes(challengeScope: string | undefined): string[] {
    if (this.scope === undefined) return challengeScope === undefined ? [] : [challengeScope];
    if (challengeScope === undefined || scopeCovers(this.scope, challengeScope)) return [this.scope];
    return [this.scope, challengeScope].sort();
  }

  /** Tokens belong to the credentials they were issued for: another caller's never get reused. */
  private tokenKey(scopes: string[]): string {
    const identity = createHash('sha256').update(JSON.stringify(this.credentials)).digest('hex');
    return `${this.host}\n${identity}\n${scopes.join(' ')}`;
  }
}

/** Whether `repository:NAME:a,b` grants everything `repository:NAME:c` asks for. */
function scopeCovers(granted: string, asked: string): boolean {
  const split = (scope: string) => {
    const colon = scope.lastIndexOf(':');
    return { resource: scope.slice(0, colon), actions: scope.slice(colon + 1).split(',') };
  };
  const have = split(granted);
  const want = split(asked);
  return have.resource === want.resource && want.actions.every((action) => have.actions.includes(action));
}

export function challengesOf(response: HttpResponse): AuthChallenge[] {
  const header = response.headers['www-authenticate'];
  return parseWwwAuthenticate(Array.isArray(header) ? header.join(', ') : (header ?? ''));
}

function realmOf(challenge: AuthChallenge, host: string): URL {
  const realm = challenge.params.realm;
  try {
    if (realm === undefined) throw new Error('no realm');
    return new URL(realm);
  } catch {
    throw new MarinaError('Unavailable', `${host} sent a Bearer challenge without a valid realm URL ("${realm ?? ''}")`);
  }
}

function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString());
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
