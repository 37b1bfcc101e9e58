/**
 * The registry's JWTs, signed ES256 with the daemon's own key. Access tokens follow the Docker token spec
 * (iss, sub, aud, exp, iat, jti and the `access` list) and live `accessTtlSeconds`; refresh tokens (header
 * `typ: refresh+jwt`, so neither kind passes for the other) name a user and live much longer, kept by
 * clients as their identity token instead of the password. Both carry the user's creation time, so that a
 * user removed and added again under the same name does not inherit the old tokens.
 */
import { randomUUID } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { ResourceAccess } from './scope.ts';
import type { SigningKeys } from './token-keys.ts';

export const tokenIssuer = 'marina-registry';
const accessType = 'JWT';
const refreshType = 'refresh+jwt';
/** Refresh tokens outlive logins of a month; an older one means logging in again. */
export const refreshTtlSeconds = 30 * 24 * 60 * 60;

/** Who a token was issued to: a user with its creation time, or nobody (anonymous). */
export interface TokenUser {
  name: string;
  created: string;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

export type VerifiedAccessToken =
  | { valid: true; user: TokenUser | undefined; access: ResourceAccess[] }
  | InvalidToken;
export type VerifiedRefreshToken = { valid: true; user: TokenUser } | InvalidToken;
export interface InvalidToken {
  valid: false;
  /** Says what was wrong and what to do, for the 401 answer. */
  reason: string;
}

export interface RegistryTokensOptions {
  keys: SigningKeys;
  /** The audience: the `service` of the challenges. */
  service: string;
  accessTtlSeconds: number;
  /** Milliseconds since the epoch; tests move it instead of sleeping. */
  clock?: () => number;
}

export class RegistryTokens {
  private readonly keys: SigningKeys;
  private readonly service: string;
  private readonly accessTtlSeconds: number;
  private readonly clock: () => number;

  constructor(options: RegistryTokensOptions) {
    this.keys = options.keys;
    this.service = options.service;
    this.accessTtlSeconds = options.accessTtlSeconds;
    this.clock = options.clock ?? Date.now;
  }

  issueAccess(user: TokenUser | undefined, access: ResourceAccess[]): Promise<IssuedToken> {
    return this.sign(accessType, user, this.accessTtlSeconds, { access });
  }

  async issueRefresh(user: TokenUser): Promise<string> {
    return (await this.sign(refreshType, user, refreshTtlSeconds, {})).token;
  }

  async verifyAccess(token: string): Promise<VerifiedAccessToken> {
    const verified = await this.verify(token, accessType);
    if (!verified.valid) return verified;
    const access = verified.payload.access;
    if (!isAccessList(access))
      return { valid: false, reason: 'the token has no valid access claim: request a new one' };
    return { valid: true, user: verified.user, access };
  }

  async verifyRefresh(token: string): Promise<VerifiedRefreshToken> {
    const verified = await this.verify(token, refreshType);
    if (!verified.valid) return verified;
    if (verified.user === undefined)
      return { valid: false, reason: 'the refresh token names no user: log in again' };
    return { valid: true, user: verified.user };
  }

  private async sign(
    type: string,
    user: TokenUser | undefined,
    ttlSeconds: number,
    claims: JWTPayload,
  ): Promise<IssuedToken> {
    const issuedAt = Math.floor(this.clock() / 1000);
    const jwt = new SignJWT(user === undefined ? claims : { ...claims, user_created: user.created })
      .setProtectedHeader({ alg: 'ES256', typ: type })
      .setIssuer(tokenIssuer)
      .setAudience(this.service)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .setJti(randomUUID());
    if (user !== undefined) jwt.setSubject(user.name);
    return {
      token: await jwt.sign(this.keys.privateKey),
      expiresIn: ttlSeconds,
      issuedAt: new Date(issuedAt * 1000).toISOString(),
    };
  }

  private async verify(
    token: string,
    type: string,
  ): Promise<{ valid: true; payload: JWTPayload; user: TokenUser | undefined } | InvalidToken> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys.publicKey, {
        algorithms: ['ES256'],
        typ: type,
        issuer: tokenIssuer,
        audience: this.service,
        currentDate: new Date(this.clock()),
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired)
        return { valid: false, reason: 'the token has expired: request a new one' };
      if (err instanceof errors.JOSEError) {
        return {
          valid: false,
          reason: `the token is not valid for this registry (${err.code}): request a new one`,
        };
      }
      throw err;
    }
    if (payload.sub === undefined) return { valid: true, payload, user: undefined };
    const created = payload.user_created;
    if (typeof created !== 'string')
      return { valid: false, reason: 'the token names a user without its creation time' };
    return { valid: true, payload, user: { name: payload.sub, created } };
  }
}

function isAccessList(value: unknown): value is ResourceAccess[] {
  return (
    Array.isArray(value) &&
    value.every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as ResourceAccess).type === 'string' &&
        typeof (entry as ResourceAccess).name === 'string' &&
        Array.isArray((entry as ResourceAccess).actions) &&
        (entry as ResourceAccess).actions.every((action) => typeof action === 'string'),
    )
  );
}
