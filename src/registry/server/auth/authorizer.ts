/**
 * Who may do what in the registry. The HTTP layer asks once per request; the answer is either a grant or
 * the exact response to send: 401 with a `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge
 * (no, bad or expired credentials, or a token lacking a scope the caller could get), or 403 DENIED (the
 * caller is known but not allowed the action).
 */
import type { IncomingHttpHeaders } from 'node:http';

export type RegistryAction = 'pull' | 'push' | 'delete';

/** What a request needs: one repository action, or the catalog (`registry:catalog:*`). */
export type RequiredAccess =
  | { type: 'repository'; name: string; actions: RegistryAction[] }
  | { type: 'registry'; name: 'catalog'; actions: ['*'] }
  /** `/v2/` itself: any authenticated caller (or anyone, when anonymous access is on somewhere). */
  | { type: 'base' };

export type AuthDecision =
  | { allowed: true; subject: string | undefined }
  | { allowed: false; status: 401 | 403; headers: Record<string, string>; code: 'UNAUTHORIZED' | 'DENIED'; message: string };

export interface Authorizer {
  authorize(headers: IncomingHttpHeaders, required: RequiredAccess, requestOrigin: string): Promise<AuthDecision>;
}

/** The token endpoint (`GET /auth/token`, and `POST` with an OAuth2 password/refresh grant form). */
export interface TokenEndpoint {
  handle(request: {
    method: string;
    headers: IncomingHttpHeaders;
    query: URLSearchParams;
    /** The urlencoded form of a POST. */
    form?: URLSearchParams;
  }): Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
}

export interface RegistryUser {
  name: string;
  /** Pull-only users may not push or delete. */
  pullOnly: boolean;
  created: string;
}

/** Users (bcrypt hashes) and repository patterns open to anonymous pull, kept in the state database. */
export interface RegistryAccessAdmin {
  addUser(name: string, password: string, options?: { pullOnly?: boolean }): Promise<RegistryUser>;
  removeUser(name: string): Promise<void>;
  listUsers(): Promise<RegistryUser[]>;
  /** `name`, `prefix/*` (everything under prefix) or `*`. */
  addAnonymousPull(pattern: string): Promise<void>;
  removeAnonymousPull(pattern: string): Promise<void>;
  listAnonymousPull(): Promise<string[]>;
}
