/**
 * Errors as Kubernetes clients read them: a `Status` object with a machine-readable `reason` and the HTTP
 * code Kubernetes uses for it (an invalid object is 422 there, not 400).
 */
import { asMarinaError, type ErrorCode } from '../../errors.ts';

const reasonByCode: Partial<Record<ErrorCode, { reason: string; status?: number }>> = {
  Invalid: { reason: 'Invalid', status: 422 },
  NotFound: { reason: 'NotFound' },
  Conflict: { reason: 'Conflict' },
  Expired: { reason: 'Expired' },
  Unauthorized: { reason: 'Unauthorized' },
  Forbidden: { reason: 'Forbidden' },
  Unsupported: { reason: 'MethodNotAllowed', status: 405 },
  Unavailable: { reason: 'ServiceUnavailable' },
};

export function kubeStatus(err: unknown): { code: number; body: Record<string, unknown> } {
  const error = asMarinaError(err);
  const known = reasonByCode[error.code];
  const reason = (error.details?.reason as string | undefined) ?? known?.reason ?? 'InternalError';
  const code = known?.status ?? error.httpStatus;
  return {
    code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason, code },
  };
}

export function encodeKubeError(err: unknown): { status: number; body: string } {
  const { code, body } = kubeStatus(err);
  return { status: code, body: JSON.stringify(body) };
}
