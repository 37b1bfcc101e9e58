/**
 * Who is calling: the `Authorization` header read as Basic credentials, a Bearer token of this registry,
 * or nothing. Every answer is checked against the current user list, so a removed user's credentials and
 * tokens stop working at once. bcrypt costs ~70 ms per check, so a successful Basic check is remembered
 * for a short while (keyed by a hash of the header, never the password itself) while the user is unchanged.
 */
import { createHash } from 'node:crypto';
import type { RegistryAccessStore, StoredUser } from './access-store.ts';
import type { Subject } from './policy.ts';
import type { RegistryTokens, TokenUser } from './registry-tokens.ts';
import type { ResourceAccess } from './scope.ts';

export type ParsedAuthorization =
  | { scheme: 'none' }
  | { scheme: 'basic'; username: string; password: string }
  | { scheme: 'bearer'; token: string }
  | { scheme: 'malformed'; reason: string };

/** Pure. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined || header.trim() === '') return { scheme: 'none' };
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header.trim());
  const scheme = match?.[1]?.toLowerCase();
  const value = match?.[2] ?? '';
  if (scheme === 'bearer') return { scheme: 'bearer', token: value };
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      return { scheme: 'malformed', reason: 'the Basic credentials are not base64 of user:password' };
    return { scheme: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return {
    scheme: 'malformed',
    reason: `unsupported Authorization header: use Bearer with a token from the token endpoint, or Basic`,
  };
}

export type Identity =
  | { credential: 'none'; subject: Subject }
  | { credential: 'basic'; subject: Subject }
  | { credential: 'token'; subject: Subject; access: ResourceAccess[] }
  /** Credentials were given but are wrong, expired or unreadable. */
  | { credential: 'rejected'; scheme: 'basic' | 'bearer' | 'malformed'; reason: string };

const anonymous: Subject = { kind: 'anonymous' };
const basicCacheMs = 60_000;
const basicCacheEntries = 1024;

export const subjectOf = (user: StoredUser): Subject => ({
  kind: 'user',
  name: user.name,
  pullOnly: user.pullOnly,
});

export class RegistryIdentities {
  private readonly store: RegistryAccessStore;
  private readonly tokens: RegistryTokens;
  private readonly clock: () => number;
  private readonly checkedBasic = new Map<string, { name: string; passwordHash: string; until: number }>();

  constructor(store: RegistryAccessStore, tokens: RegistryTokens, clock: () => number = Date.now) {
    this.store = store;
    this.tokens = tokens;
    this.clock = clock;
  }

  async identify(header: string | undefined): Promise<Identity> {
    const parsed = parseAuthorization(header);
    switch (parsed.scheme) {
      case 'none':
        return { credential: 'none', subject: anonymous };
      case 'malformed':
        return { credential: 'rejected', scheme: 'malformed', reason: parsed.reason };
      case 'basic': {
        const user = await this.checkBasic(header!, parsed.username, parsed.password);
        return user === undefined
          ? { credential: 'rejected', scheme: 'basic', reason: 'wrong user name or password' }
          : { credential: 'basic', subject: subjectOf(user) };
      }
      case 'bearer': {
        const verified = await this.tokens.verifyAccess(parsed.token);
        if (!verified.valid) return { credential: 'rejected', scheme: 'bearer', reason: verified.reason };
        if (verified.user === undefined)
          return { credential: 'token', subject: anonymous, access: verified.access };
        const user = this.currentUser(verified.user);
        if (user === undefined)
          return { credential: 'rejected', scheme: 'bearer', reason: removedUser(verified.user) };
        return { credential: 'token', subject: subjectOf(user), access: verified.access };
      }
    }
  }

  /** The user a token names, if it still exists as the same user (not removed, not re-added since). */
  currentUser(tokenUser: TokenUser): StoredUser | undefined {
    const user = this.store.findUser(tokenUser.name);
    return user !== undefined && user.created === tokenUser.created ? user : undefined;
  }

  /** The user whose password this is; `header` is the whole Authorization value, the cache key. */
  async checkBasic(header: string, username: string, password: string): Promise<StoredUser | undefined> {
    const key = createHash('sha256').update(header).digest('hex');
    const cached = this.checkedBasic.get(key);
    if (cached !== undefined && cached.until > this.clock()) {
      const user = this.store.findUser(cached.name);
      if (user !== undefined && user.passwordHash === cached.passwordHash) return user;
    }
    this.checkedBasic.delete(key);
    const user = await this.store.verifyPassword(username, password);
    if (user === undefined) return undefined;
    if (this.checkedBasic.size >= basicCacheEntries) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      this.checkedBasic.delete(this.checkedBasic.keys().next().value!);
    }
    this.checkedBasic.set(key, {
      name: user.name,
      passwordHash: user.passwordHash,
      until: this.clock() + basicCacheMs,
    });
    return user;
  }
}

export function removedUser(user: TokenUser): string {
  return `registry user ${user.name} was removed since the token was issued: log in again`;
}
