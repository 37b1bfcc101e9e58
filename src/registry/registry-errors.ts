/**
 * The OCI Distribution spec's error codes, carried on MarinaError so the rest of Marina keeps one error
 * family: `details.registryCode` holds the spec code, the Marina code gives the HTTP status family.
 * The registry server encodes them as `{"errors":[{code,message,detail}]}`; the client decodes them back.
 */
import { type ErrorCode, MarinaError } from '../errors.ts';

export const registryErrorCodes = {
  BLOB_UNKNOWN: { code: 'NotFound', status: 404 },
  BLOB_UPLOAD_INVALID: { code: 'Invalid', status: 400 },
  BLOB_UPLOAD_UNKNOWN: { code: 'NotFound', status: 404 },
  DIGEST_INVALID: { code: 'Invalid', status: 400 },
  MANIFEST_BLOB_UNKNOWN: { code: 'Invalid', status: 400 },
  MANIFEST_INVALID: { code: 'Invalid', status: 400 },
  MANIFEST_UNKNOWN: { code: 'NotFound', status: 404 },
  NAME_INVALID: { code: 'Invalid', status: 400 },
  NAME_UNKNOWN: { code: 'NotFound', status: 404 },
  SIZE_INVALID: { code: 'Invalid', status: 400 },
  /** Manifest too large (the spec's 413 for manifests over the limit). */
  MANIFEST_TOO_LARGE: { code: 'Invalid', status: 413 },
  /** An upload chunk that does not start where the upload ends. */
  RANGE_INVALID: { code: 'Invalid', status: 416 },
  TAG_INVALID: { code: 'Invalid', status: 400 },
  UNAUTHORIZED: { code: 'Unauthorized', status: 401 },
  DENIED: { code: 'Forbidden', status: 403 },
  UNSUPPORTED: { code: 'Unsupported', status: 405 },
  TOOMANYREQUESTS: { code: 'Unavailable', status: 429 },
} as const satisfies Record<string, { code: ErrorCode; status: number }>;

export type RegistryErrorCode = keyof typeof registryErrorCodes;

export function registryError(
  registryCode: RegistryErrorCode,
  message: string,
  detail?: unknown,
): MarinaError {
  return new MarinaError(registryErrorCodes[registryCode].code, message, {
    details: detail === undefined ? { registryCode } : { registryCode, detail },
  });
}

export function registryCodeOf(err: unknown): RegistryErrorCode | undefined {
  if (!(err instanceof MarinaError)) return undefined;
  const code = err.details?.registryCode;
  return typeof code === 'string' && code in registryErrorCodes ? (code as RegistryErrorCode) : undefined;
}
