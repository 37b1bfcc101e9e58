/**
 * One error family for all of Marina. Every failure a user can cause or see carries a stable `code`
 * (clients and tests branch on it, never on message text) and a message that says what was wrong and
 * what to do about it. HTTP statuses are derived from the code here, in one place.
 */

export type ErrorCode =
  | 'Invalid' // the request itself is wrong: bad flag, malformed reference, bad manifest
  | 'NotFound' // a named thing does not exist
  | 'Conflict' // the request collides with current state: name in use, container running
  | 'Expired' // a resource version older than the kept history: list again and watch from there
  | 'NotModified' // already in the requested state (start of a running container)
  | 'Unauthorized' // credentials missing or wrong
  | 'Forbidden' // credentials fine, action not allowed
  | 'Unavailable' // a dependency is not there: daemon down, runc missing
  | 'Unsupported' // a valid request Marina does not implement
  | 'BuildFailed' // a build step ran and failed (a RUN exited non-zero); details name the step and exit code
  | 'Internal'; // a bug or an unexpected system failure

const httpStatusByCode: Record<ErrorCode, number> = {
  Invalid: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Expired: 410,
  NotModified: 304,
  Unsupported: 501,
  BuildFailed: 422,
  Unavailable: 503,
  Internal: 500,
};

export class MarinaError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable facts (e.g. the field path of an invalid value). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MarinaError';
    this.code = code;
    this.details = options?.details;
  }

  get httpStatus(): number {
    return httpStatusByCode[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export const invalid = (message: string, details?: Record<string, unknown>) =>
  new MarinaError('Invalid', message, details ? { details } : undefined);
export const notFound = (message: string) => new MarinaError('NotFound', message);
export const conflict = (message: string) => new MarinaError('Conflict', message);

export function isMarinaError(err: unknown, code?: ErrorCode): err is MarinaError {
  return err instanceof MarinaError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into a MarinaError, keeping MarinaErrors as they are. */
export function asMarinaError(err: unknown): MarinaError {
  if (err instanceof MarinaError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MarinaError('Internal', message, { cause: err });
}

export function httpStatusOf(code: ErrorCode): number {
  return httpStatusByCode[code];
}

export function errorCodeOfHttpStatus(status: number): ErrorCode {
  const found = (Object.entries(httpStatusByCode) as [ErrorCode, number][]).find(([, s]) => s === status);
  return found ? found[0] : 'Internal';
}
