/**
 * The `system` channel (stream 3) of a pod exec stream, which is always framed, TTY or not: what
 * Kubernetes' exec protocol sends on its error channel, plus what Marina's CLI needs to resize a TTY.
 * Two JSON messages: first `{kind: 'Exec', execId}` (for `/v1/exec/ID/resize`), last Kubernetes' `Status`
 * of the command (Success, or Failure with reason NonZeroExitCode and the code as an ExitCode cause).
 * Shared by the route and the CLI, so both read the same shapes. Pure.
 */

export interface ExecStarted {
  kind: 'Exec';
  execId: string;
}

export interface ExecStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
}

export type ExecChannelMessage = ExecStarted | ExecStatus;

export function execStatus(command: readonly string[], exitCode: number): ExecStatus {
  if (exitCode === 0) return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** A channel message, or undefined for bytes that are not one. */
export function parseExecChannelMessage(data: Buffer): ExecChannelMessage | undefined {
  try {
    const message = JSON.parse(data.toString('utf8')) as { kind?: unknown };
    return message.kind === 'Exec' || message.kind === 'Status' ? (message as ExecChannelMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** The command's exit code a Status reports (undefined for a Failure that is not an exit code). */
export function exitCodeOfStatus(status: ExecStatus): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return cause && Number.isInteger(code) ? code : undefined;
}
