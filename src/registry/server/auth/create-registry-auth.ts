/**
 * Wires the registry's token auth for the daemon: the user and pattern store (state database), the signing
 * key under `<root>/registry/`, and the authorizer and token endpoint sharing them.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { StateDb } from '../../../db/state-db.ts';
import { invalid } from '../../../errors.ts';
import { RegistryAccessStore } from './access-store.ts';
import type { Authorizer, RegistryAccessAdmin, TokenEndpoint } from './authorizer.ts';
import { RegistryIdentities } from './identities.ts';
import { RegistryAuthorizer } from './registry-authorizer.ts';
import { RegistryTokens } from './registry-tokens.ts';
import { loadOrCreateSigningKey } from './token-keys.ts';
import { RegistryTokenEndpoint } from './token-endpoint.ts';

export interface RegistryAuthOptions {
  db: StateDb;
  /** The state root; the signing key goes in `<root>/registry/`. */
  root: string;
  /** The `service` of challenges and the audience of tokens. */
  service: string;
  tokenTtlSeconds: number;
  logger: Logger;
  /** Milliseconds since the epoch, for token times and the password cache; tests move it. */
  clock?: () => number;
}

export interface RegistryAuth {
  authorizer: Authorizer;
  tokenEndpoint: TokenEndpoint;
  access: RegistryAccessAdmin;
}

export async function createRegistryAuth(options: RegistryAuthOptions): Promise<RegistryAuth> {
  const { db, root, service, tokenTtlSeconds, logger, clock = Date.now } = options;
  if (!Number.isInteger(tokenTtlSeconds) || tokenTtlSeconds <= 0) {
    throw invalid(
      `invalid registry token lifetime ${tokenTtlSeconds}: give a whole number of seconds above 0`,
    );
  }
  const store = new RegistryAccessStore(db);
  const keys = await loadOrCreateSigningKey(join(root, 'registry'));
  const tokens = new RegistryTokens({ keys, service, accessTtlSeconds: tokenTtlSeconds, clock });
  const identities = new RegistryIdentities(store, tokens, clock);
  return {
    authorizer: new RegistryAuthorizer({ identities, store, service }),
    tokenEndpoint: new RegistryTokenEndpoint({ identities, store, tokens, service, logger }),
    access: store,
  };
}
