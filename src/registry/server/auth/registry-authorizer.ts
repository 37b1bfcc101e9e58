/**
 * The Authorizer of the registry's token auth: identify the caller (identities.ts), then decide with the
 * pure policy. `/v2/` itself wants any valid credential (an anonymous token will do) and challenges a
 * caller without one, as distribution does, so that `docker login` and anonymous clients both find the
 * token endpoint from there.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RegistryAccessStore } from './access-store.ts';
import type { AuthDecision, Authorizer, RequiredAccess } from './authorizer.ts';
import { bearerChallenge, type Challenge, challengeScope } from './challenge.ts';
import type { Identity, RegistryIdentities } from './identities.ts';
import { allowedActions, decideAccess, heldActions, type Subject } from './policy.ts';

export class RegistryAuthorizer implements Authorizer {
  private readonly identities: RegistryIdentities;
  private readonly store: RegistryAccessStore;
  private readonly service: string;

  constructor(options: { identities: RegistryIdentities; store: RegistryAccessStore; service: string }) {
    this.identities = options.identities;
    this.store = options.store;
    this.service = options.service;
  }

  async authorize(
    headers: IncomingHttpHeaders,
    required: RequiredAccess,
    requestOrigin: string,
  ): Promise<AuthDecision> {
    const identity = await this.identities.identify(headers.authorization);
    const challenge: Challenge = { origin: requestOrigin, service: this.service };
    if (required.type !== 'base') challenge.scope = challengeScope(required);
    if (identity.credential === 'rejected') {
      if (identity.scheme === 'bearer') challenge.error = 'invalid_token';
      return this.unauthorized(challenge, identity.reason);
    }
    if (required.type === 'base') {
      return identity.credential === 'none'
        ? this.unauthorized(
            challenge,
            'authentication required: log in, or get a token (anonymous ones too) from the token endpoint',
          )
        : granted(identity.subject);
    }
    const allowed = allowedActions(identity.subject, required, this.store.anonymousPatterns());
    const verdict = decideAccess({
      subject: identity.subject,
      credential: identity.credential,
      held: held(identity, required, allowed),
      allowed,
      required,
    });
    switch (verdict.kind) {
      case 'allowed':
        return granted(identity.subject);
      case 'challenge':
        if (verdict.insufficientScope) challenge.error = 'insufficient_scope';
        return this.unauthorized(challenge, verdict.message);
      case 'denied':
        return { allowed: false, status: 403, headers: {}, code: 'DENIED', message: verdict.message };
    }
  }

  private unauthorized(challenge: Challenge, message: string): AuthDecision {
    return {
      allowed: false,
      status: 401,
      headers: { 'www-authenticate': bearerChallenge(challenge) },
      code: 'UNAUTHORIZED',
      message,
    };
  }
}

/**
 * A token holds what it was granted, as far as the subject may still have it (an anonymous-pull pattern
 * removed since takes effect at once); Basic credentials and no credentials hold what the subject may have.
 */
function held(
  identity: Exclude<Identity, { credential: 'rejected' }>,
  required: RequiredAccess,
  allowed: string[],
): string[] {
  if (identity.credential !== 'token' || required.type === 'base') return allowed;
  return heldActions(identity.access, required).filter((action) => allowed.includes(action));
}

function granted(subject: Subject): AuthDecision {
  return { allowed: true, subject: subject.kind === 'user' ? subject.name : undefined };
}
