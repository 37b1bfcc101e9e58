/**
 * The one place the registry turns errors into the spec's `{"errors":[{code,message,detail}]}` bodies.
 * An error carrying a spec code (registryError) keeps it and its status. Other MarinaErrors get a code
 * from what the request was about: a NotFound on a manifest path is MANIFEST_UNKNOWN, on a blob path
 * BLOB_UNKNOWN, and so on, so clients that branch on the code see the one they expect. Internal errors
 * are UNKNOWN (500) and Unavailable ones UNAVAILABLE (503), the codes distribution uses for those.
 */
import { asMarinaError, type ErrorCode } from '../../../errors.ts';
import { registryCodeOf, registryErrorCodes } from '../../registry-errors.ts';
import type { RouteKind } from './route-table.ts';

export interface EncodedError {
  status: number;
  code: string;
  body: string;
}

interface ContextCodes {
  invalid: string;
  notFound: string;
}

const defaultCodes: ContextCodes = { invalid: 'UNSUPPORTED', notFound: 'NAME_UNKNOWN' };

const codesByRoute: Partial<Record<RouteKind, ContextCodes>> = {
  manifest: { invalid: 'MANIFEST_INVALID', notFound: 'MANIFEST_UNKNOWN' },
  blob: { invalid: 'DIGEST_INVALID', notFound: 'BLOB_UNKNOWN' },
  referrers: { invalid: 'DIGEST_INVALID', notFound: 'MANIFEST_UNKNOWN' },
  uploads: { invalid: 'BLOB_UPLOAD_INVALID', notFound: 'BLOB_UPLOAD_UNKNOWN' },
  upload: { invalid: 'BLOB_UPLOAD_INVALID', notFound: 'BLOB_UPLOAD_UNKNOWN' },
  // distribution's code for a bad `n`; the only Invalid a listing can raise here.
  tags: { invalid: 'PAGINATION_NUMBER_INVALID', notFound: 'NAME_UNKNOWN' },
  catalog: { invalid: 'PAGINATION_NUMBER_INVALID', notFound: 'NAME_UNKNOWN' },
};

function statusAndCode(code: ErrorCode, context: ContextCodes): { status: number; code: string } {
  switch (code) {
    case 'Invalid':
      return { status: 400, code: context.invalid };
    case 'NotFound':
      return { status: 404, code: context.notFound };
    case 'Conflict':
      return { status: 409, code: context.invalid };
    case 'Unauthorized':
      return { status: 401, code: 'UNAUTHORIZED' };
    case 'Forbidden':
      return { status: 403, code: 'DENIED' };
    case 'Unsupported':
      return { status: registryErrorCodes.UNSUPPORTED.status, code: 'UNSUPPORTED' };
    case 'Unavailable':
      return { status: 503, code: 'UNAVAILABLE' };
    default:
      return { status: 500, code: 'UNKNOWN' };
  }
}

export function errorBody(code: string, message: string, detail?: unknown): string {
  return JSON.stringify({ errors: [detail === undefined ? { code, message } : { code, message, detail }] });
}

/** `route` is what the request was about, when the path named an operation at all. */
export function encodeRegistryError(err: unknown, route: RouteKind | undefined): EncodedError {
  const error = asMarinaError(err);
  const registryCode = registryCodeOf(error);
  const detail = error.details?.detail;
  if (registryCode !== undefined) {
    return {
      status: registryErrorCodes[registryCode].status,
      code: registryCode,
      body: errorBody(registryCode, error.message, detail),
    };
  }
  const context = (route && codesByRoute[route]) ?? defaultCodes;
  const { status, code } = statusAndCode(error.code, context);
  return { status, code, body: errorBody(code, error.message, detail) };
}
