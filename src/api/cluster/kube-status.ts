/**
 * Errors as Kubernetes clients read them: a `Status` object with a machine-readable `reason` and the HTTP
 * code Kubernetes uses for it (an invalid object is 422 there, not 400).
 */
import { statusReasonOf } from '../../cluster/apiserver/status-reasons.ts';
import { asMarinaError } from '../../errors.ts';

export function kubeStatus(err: unknown): { code: number; body: Record<string, unknown> } {
  const error = asMarinaError(err);
  const known = statusReasonOf(error.code);
  const reason = (error.details?.reason as string | undefined) ?? known?.reason ?? 'InternalError';
  // A handler may ask for Kubernetes' own status where Marina's code maps elsewhere (BadRequest is 400).
  const code = (error.details?.httpStatus as number | undefined) ?? known?.httpStatus ?? error.httpStatus;
  return {
    code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason, code },
  };
}

export function encodeKubeError(err: unknown): { status: number; body: string } {
  const { code, body } = kubeStatus(err);
  return { status: code, body: JSON.stringify(body) };
}
