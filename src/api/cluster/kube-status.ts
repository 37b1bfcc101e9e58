/**
 * Errors as Kubernetes clients read them: a `Status` object with a machine-readable `reason` and the HTTP
 * code Kubernetes uses for it (an invalid object is 422 there, not 400).
 */
import { httpStatusOfReason, statusReasonOf } from '../../cluster/apiserver/status-reasons.ts';
import { asMarinaError } from '../../errors.ts';

export function kubeStatus(err: unknown): { code: number; body: Record<string, unknown> } {
  const error = asMarinaError(err);
  // A handler may name a more specific reason (AlreadyExists, BadRequest); its status follows from it.
  const reason = (error.details?.reason as string | undefined) ?? statusReasonOf(error.code)?.reason ?? 'InternalError';
  const code = httpStatusOfReason(reason) ?? error.httpStatus;
  return {
    code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason, code },
  };
}

export function encodeKubeError(err: unknown): { status: number; body: string } {
  const { code, body } = kubeStatus(err);
  return { status: code, body: JSON.stringify(body) };
}
