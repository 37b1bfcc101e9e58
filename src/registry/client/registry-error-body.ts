/**
 * Turns a registry's failed response into a MarinaError: the spec's `{"errors":[{code,message,detail}]}`
 * body when there is one (keeping the spec code via `registryError`), else the HTTP status.
 */
import { type ErrorCode, MarinaError } from '../../errors.ts';
import { type RegistryErrorCode, registryError, registryErrorCodes } from '../registry-errors.ts';

interface SpecError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
}

function codeOfStatus(status: number): ErrorCode {
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 405 || status === 501) return 'Unsupported';
  if (status === 429 || status >= 500) return 'Unavailable';
  return 'Invalid';
}

/** `context` says what was being done, e.g. `pull localhost:5000/a:1: GET manifest`. */
export function registryErrorFromResponse(status: number, body: string, context: string): MarinaError {
  const first = specErrors(body)[0];
  const message = typeof first?.message === 'string' && first.message !== '' ? first.message : undefined;
  const code = typeof first?.code === 'string' ? first.code.toUpperCase() : undefined;
  if (code !== undefined && code in registryErrorCodes) {
    return registryError(code as RegistryErrorCode, `${context}: ${message ?? code.toLowerCase()}`, first?.detail);
  }
  const text = message ?? (code ?? body.trim().slice(0, 200)) ?? '';
  return new MarinaError(
    codeOfStatus(status),
    `${context}: the registry answered HTTP ${status}${text !== '' ? ` (${text})` : ''}`,
  );
}

function specErrors(body: string): SpecError[] {
  try {
    const parsed: unknown = JSON.parse(body);
    const errors = (parsed as { errors?: unknown } | null)?.errors;
    return Array.isArray(errors) ? errors.filter((e): e is SpecError => typeof e === 'object' && e !== null) : [];
  } catch {
    return [];
  }
}
