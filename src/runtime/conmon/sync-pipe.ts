/**
 * conmon's sync pipe protocol (api-version 1): one JSON object per line, `{"data": N}` with the
 * container's (or exec's) pid, `{"data": -1, "message": "..."}` on failure and, for exec sessions,
 * a second `{"data": <exit code>}` when the process ends. Pure parsing and error mapping.
 */
import { MarinaError } from '../../errors.ts';

export interface SyncMessage {
  data: number;
  message?: string;
}

export function parseSyncMessages(text: string): SyncMessage[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { data?: unknown }).data !== 'number') {
        throw new MarinaError('Internal', `unexpected message from conmon: ${line}`);
      }
      const { data, message } = parsed as { data: number; message?: unknown };
      return typeof message === 'string' ? { data, message } : { data };
    });
}

/** runc logs in logfmt (`time=… level=error msg="…"`); the msg value is what a user needs to read. */
export function runtimeErrorText(message: string): string {
  const match = /msg="((?:[^"\\]|\\.)*)"/.exec(message);
  if (!match?.[1]) return message.trim();
  return match[1].replace(/\\(.)/g, '$1');
}

/**
 * Maps the runtime's failure to start a process to a MarinaError. A command that cannot be found or
 * executed is the user's mistake (Invalid), with Docker's exit codes 127 and 126 in `details.exitCode`.
 */
export function startFailure(message: string): MarinaError {
  const text = runtimeErrorText(message);
  const execFailure = /exec: "?(.*?)"?: (executable file not found in \$PATH|no such file or directory|permission denied)/.exec(text);
  if (execFailure) {
    const [, command, reason] = execFailure;
    const exitCode = reason === 'permission denied' ? 126 : 127;
    return new MarinaError('Invalid', `cannot run "${command}": ${reason}; check the command and the image`, {
      details: { exitCode, runtimeMessage: text },
    });
  }
  return new MarinaError('Internal', `the OCI runtime failed to start the process: ${text}`, { details: { runtimeMessage: text } });
}
