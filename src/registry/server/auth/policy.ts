/**
 * Who may have which actions, decided without I/O: anonymous callers pull where an anonymous-pull pattern
 * matches; pull-only users pull everywhere (and wherever anonymous callers may); other users may pull,
 * push and delete everywhere and list the catalog. A request is then allowed, answered with a challenge
 * (the caller could get what is missing with other credentials or a wider token), or denied.
 */
import type { ResourceAccess } from './scope.ts';

export type Subject = { kind: 'anonymous' } | { kind: 'user'; name: string; pullOnly: boolean };

/** How the caller identified itself on this request. */
export type CredentialKind = 'none' | 'basic' | 'token';

export interface Resource {
  type: string;
  name: string;
}

/** `*` matches every repository, `prefix/*` everything under prefix, anything else one repository. */
export function matchesPattern(pattern: string, repository: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return repository.startsWith(pattern.slice(0, -1));
  return pattern === repository;
}

export function allowedActions(
  subject: Subject,
  resource: Resource,
  anonymousPull: readonly string[],
): string[] {
  const isFullUser = subject.kind === 'user' && !subject.pullOnly;
  if (resource.type === 'registry') return resource.name === 'catalog' && isFullUser ? ['*'] : [];
  if (resource.type !== 'repository') return [];
  if (isFullUser) return ['pull', 'push', 'delete'];
  if (subject.kind === 'user' || anonymousPull.some((pattern) => matchesPattern(pattern, resource.name)))
    return ['pull'];
  return [];
}

/** What a token gets: the requested actions the subject may have (fewer actions, not an error, as Docker's). */
export function grantAccess(
  subject: Subject,
  requested: readonly ResourceAccess[],
  anonymousPull: readonly string[],
): ResourceAccess[] {
  return requested
    .map((access) => {
      const allowed = allowedActions(subject, access, anonymousPull);
      return { ...access, actions: access.actions.filter((action) => allowed.includes(action)) };
    })
    .filter((access) => access.actions.length > 0);
}

/** The actions a token's `access` claim holds on one resource. */
export function heldActions(access: readonly ResourceAccess[], resource: Resource): string[] {
  return access
    .filter((entry) => entry.type === resource.type && entry.name === resource.name)
    .flatMap((entry) => entry.actions);
}

export type AccessVerdict =
  | { kind: 'allowed' }
  /** 401: credentials (or a token with a wider scope) could get what is missing. */
  | { kind: 'challenge'; insufficientScope: boolean; message: string }
  /** 403: this subject may not have it whatever it asks for. */
  | { kind: 'denied'; message: string };

export function decideAccess(request: {
  subject: Subject;
  credential: CredentialKind;
  /** What the credential carries: a token's granted actions, or everything the subject may have. */
  held: readonly string[];
  /** Everything the subject may have on the resource right now. */
  allowed: readonly string[];
  required: ResourceAccess;
}): AccessVerdict {
  const { subject, credential, held, allowed, required } = request;
  const missing = required.actions.filter((action) => !held.includes(action));
  if (missing.length === 0) return { kind: 'allowed' };
  const what = describe(missing, required);
  // Without credentials the answer is a challenge even for what only users get, so that clients log in.
  if (credential === 'none') {
    return {
      kind: 'challenge',
      insufficientScope: false,
      message: `authentication required for ${what}: log in first`,
    };
  }
  if (missing.every((action) => allowed.includes(action))) {
    return {
      kind: 'challenge',
      insufficientScope: true,
      message: `the token does not grant ${what}: request a token with that scope`,
    };
  }
  if (subject.kind === 'anonymous') {
    return {
      kind: 'denied',
      message: `anonymous ${what} is not allowed: log in (marina login) as a registry user`,
    };
  }
  return subject.pullOnly
    ? {
        kind: 'denied',
        message: `user ${subject.name} may only pull: ${what} needs a user that is not pull-only`,
      }
    : { kind: 'denied', message: `user ${subject.name} is not allowed ${what}` };
}

function describe(actions: readonly string[], resource: ResourceAccess): string {
  if (resource.type === 'registry') return `${resource.name} listing`;
  return `${actions.join(',')} on repository ${resource.name}`;
}
