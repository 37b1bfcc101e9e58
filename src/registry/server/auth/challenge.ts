/** The `WWW-Authenticate: Bearer …` challenge of the Docker token flow. Pure. */
import { formatScope, type ResourceAccess } from './scope.ts';

export const tokenPath = '/auth/token';

export interface Challenge {
  /** `<scheme>://<host>` of the request: the realm is this registry's own token endpoint. */
  origin: string;
  service: string;
  /** The scope to ask the token endpoint for; none for `/v2/` itself. */
  scope?: ResourceAccess;
  error?: 'invalid_token' | 'insufficient_scope';
}

export function bearerChallenge(challenge: Challenge): string {
  const params: [string, string][] = [
    ['realm', `${challenge.origin}${tokenPath}`],
    ['service', challenge.service],
  ];
  if (challenge.scope !== undefined) params.push(['scope', formatScope(challenge.scope)]);
  if (challenge.error !== undefined) params.push(['error', challenge.error]);
  return `Bearer ${params.map(([key, value]) => `${key}="${value.replace(/["\\]/g, '\\$&')}"`).join(',')}`;
}

/**
 * The scope a challenge names for a required access. A push asks for pull too, as docker does: pushing
 * checks which blobs exist first, and one token for both saves a second round trip.
 */
export function challengeScope(required: ResourceAccess): ResourceAccess {
  if (
    required.type !== 'repository' ||
    !required.actions.includes('push') ||
    required.actions.includes('pull')
  ) {
    return required;
  }
  return { ...required, actions: ['pull', ...required.actions] };
}
