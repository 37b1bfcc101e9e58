/**
 * `/auth/token`: the Docker token endpoint. GET with Basic credentials or none (`service`, `scope`,
 * `account`, `offline_token`), or POST with an OAuth2 form (`grant_type=password` or `refresh_token`).
 * A token grants what was asked for as far as the caller may have it — fewer actions, not an error, as
 * Docker's token servers do — and the registry then answers 401 or 403 for what is missing.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { isMarinaError } from '../../../errors.ts';
import type { RegistryAccessStore, StoredUser } from './access-store.ts';
import type { TokenEndpoint } from './authorizer.ts';
import { parseAuthorization, type RegistryIdentities, removedUser, subjectOf } from './identities.ts';
import { grantAccess, type Subject } from './policy.ts';
import type { RegistryTokens } from './registry-tokens.ts';
import { parseScopes } from './scope.ts';

type TokenRequest = Parameters<TokenEndpoint['handle']>[0];
type TokenAnswer = Awaited<ReturnType<TokenEndpoint['handle']>>;

/** Who a token request comes from once its credentials have been checked. */
type Requester = { user: StoredUser | undefined; offline: boolean; refreshToken?: string } | TokenAnswer;

export class RegistryTokenEndpoint implements TokenEndpoint {
  private readonly identities: RegistryIdentities;
  private readonly store: RegistryAccessStore;
  private readonly tokens: RegistryTokens;
  private readonly service: string;
  private readonly logger: Logger;

  constructor(options: {
    identities: RegistryIdentities;
    store: RegistryAccessStore;
    tokens: RegistryTokens;
    service: string;
    logger: Logger;
  }) {
    this.identities = options.identities;
    this.store = options.store;
    this.tokens = options.tokens;
    this.service = options.service;
    this.logger = options.logger;
  }

  async handle(request: TokenRequest): Promise<TokenAnswer> {
    const isForm = request.method === 'POST';
    const params = isForm ? (request.form ?? new URLSearchParams()) : request.query;
    try {
      const service = params.get('service');
      if (service !== null && service !== this.service) {
        return badRequest(
          `this token endpoint issues tokens for service "${this.service}", not "${service}"`,
        );
      }
      // The form takes one space-separated scope (OAuth2), the query one or more scope parameters.
      const requested = parseScopes(params.getAll('scope'));
      const requester = isForm
        ? await this.formRequester(params)
        : await this.queryRequester(request.headers, params);
      if (!('user' in requester)) return requester;
      const { user, offline } = requester;
      const subject: Subject = user === undefined ? { kind: 'anonymous' } : subjectOf(user);
      const access = grantAccess(subject, requested, this.store.anonymousPatterns());
      const issued = await this.tokens.issueAccess(user, access);
      this.logger.debug({ user: user?.name, requested, granted: access }, 'registry token issued');
      const body: Record<string, unknown> = {
        token: issued.token,
        access_token: issued.token,
        expires_in: issued.expiresIn,
        issued_at: issued.issuedAt,
      };
      if (offline && user !== undefined)
        body.refresh_token = requester.refreshToken ?? (await this.tokens.issueRefresh(user));
      return { status: 200, body, headers: { 'cache-control': 'no-store' } };
    } catch (err) {
      if (isMarinaError(err, 'Invalid')) return badRequest(err.message);
      throw err;
    }
  }

  private async queryRequester(headers: IncomingHttpHeaders, query: URLSearchParams): Promise<Requester> {
    const offline = query.get('offline_token') === 'true';
    const parsed = parseAuthorization(headers.authorization);
    switch (parsed.scheme) {
      case 'none':
        return { user: undefined, offline: false };
      case 'bearer':
      case 'malformed':
        return badRequest('the token endpoint takes Basic credentials (user:password) or none');
      case 'basic': {
        const user = await this.identities.checkBasic(
          headers.authorization!,
          parsed.username,
          parsed.password,
        );
        if (user === undefined) return this.wrongCredentials(parsed.username);
        const account = query.get('account');
        if (account !== null && account !== user.name) {
          return badRequest(`account "${account}" does not match the credentials of user "${user.name}"`);
        }
        return { user, offline };
      }
    }
  }

  private async formRequester(form: URLSearchParams): Promise<Requester> {
    const grantType = form.get('grant_type');
    if (grantType === 'password') {
      const username = form.get('username');
      const password = form.get('password');
      if (!username || !password) return badRequest('grant_type=password needs username and password');
      const user = await this.store.verifyPassword(username, password);
      if (user === undefined) return this.wrongCredentials(username);
      return { user, offline: form.get('access_type') === 'offline' };
    }
    if (grantType === 'refresh_token') {
      const refreshToken = form.get('refresh_token');
      if (!refreshToken) return badRequest('grant_type=refresh_token needs refresh_token');
      const verified = await this.tokens.verifyRefresh(refreshToken);
      if (!verified.valid) return unauthorized(`the refresh token is not valid: ${verified.reason}`);
      const user = this.identities.currentUser(verified.user);
      if (user === undefined) return unauthorized(removedUser(verified.user));
      // The client keeps its refresh token; it is handed back as is when asked for offline access again.
      return { user, offline: form.get('access_type') === 'offline', refreshToken };
    }
    return badRequest(
      `unsupported grant_type "${grantType ?? ''}": use password (with username and password) or refresh_token`,
    );
  }

  private wrongCredentials(username: string): TokenAnswer {
    this.logger.info({ user: username }, 'registry token refused: wrong user name or password');
    return unauthorized('wrong user name or password');
  }
}

/** Docker's `errors` list, with OAuth2's `error` beside it for clients of the POST form. */
function errorAnswer(status: number, code: string, oauthError: string, message: string): TokenAnswer {
  return { status, body: { errors: [{ code, message }], error: oauthError, error_description: message } };
}

const badRequest = (message: string) => errorAnswer(400, 'INVALID_REQUEST', 'invalid_request', message);
const unauthorized = (message: string) => errorAnswer(401, 'UNAUTHORIZED', 'invalid_grant', message);
