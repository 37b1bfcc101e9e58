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

/**
 * More specific reasons a handler may give an error (`details.reason`), or other servers send, for the
 * same codes; with the HTTP status Kubernetes answers them with where it is not the code's own.
 */
const otherReasons: Record<string, { code: ErrorCode; httpStatus?: number }> = {
  BadRequest: { code: 'Invalid', httpStatus: 400 },
  AlreadyExists: { code: 'Conflict' },
  Gone: { code: 'Expired' },
};

const byReason: Record<string, { code: ErrorCode; httpStatus?: number }> = {
  ...Object.fromEntries(
    Object.entries(encoding).map(([code, { reason, httpStatus }]) => [reason, { code: code as ErrorCode, httpStatus }]),
  ),
  ...otherReasons,
};

/** How an error code goes out: Kubernetes' reason, and its HTTP status where it differs from Marina's. */
export function statusReasonOf(code: ErrorCode): { reason: string; httpStatus?: number } | undefined {
  return encoding[code];
}

export function errorCodeOfReason(reason: string): ErrorCode | undefined {
  return byReason[reason]?.code;
}

/** The HTTP status Kubernetes answers a reason with, where it differs from the error code's own. */
export function httpStatusOfReason(reason: string): number | undefined {
  return byReason[reason]?.httpStatus;
}
