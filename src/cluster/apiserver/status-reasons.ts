/**
 * Kubernetes' Status reasons and Marina's error codes, one table both ways: the API server encodes an
 * error as a Status with the reason and HTTP code Kubernetes uses (an invalid object is 422 there), and
 * the HTTP client turns a Status back into the error it stands for.
 */
import type { ErrorCode } from '../../errors.ts';

const encoding: Partial<Record<ErrorCode, { reason: string; httpStatus?: number }>> = {
  Invalid: { reason: 'Invalid', httpStatus: 422 },
  NotFound: { reason: 'NotFound' },
  Conflict: { reason: 'Conflict' },
  Expired: { reason: 'Expired' },
  Unauthorized: { reason: 'Unauthorized' },
  Forbidden: { reason: 'Forbidden' },
  Unsupported: { reason: 'MethodNotAllowed', httpStatus: 405 },
  Unavailable: { reason: 'ServiceUnavailable' },
};

/** Reasons other servers send for the same codes (and the one a create's conflict carries). */
const otherReasons: Record<string, ErrorCode> = { BadRequest: 'Invalid', AlreadyExists: 'Conflict', Gone: 'Expired' };

const codeByReason: Record<string, ErrorCode> = {
  ...Object.fromEntries(Object.entries(encoding).map(([code, { reason }]) => [reason, code as ErrorCode])),
  ...otherReasons,
};

/** How an error code goes out: Kubernetes' reason, and its HTTP status where it differs from Marina's. */
export function statusReasonOf(code: ErrorCode): { reason: string; httpStatus?: number } | undefined {
  return encoding[code];
}

export function errorCodeOfReason(reason: string): ErrorCode | undefined {
  return codeByReason[reason];
}
