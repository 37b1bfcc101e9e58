/**
 * Connects to a conmon attach socket through the marina-attach helper (the socket is SOCK_SEQPACKET,
 * which Node cannot open) and exposes it as a StdioSession. Resolves only once the helper has
 * connected, so a process started afterwards loses no output.
 */
import { spawn } from 'node:child_process';
import { MarinaError } from '../../errors.ts';
import type { StdioSession } from '../runtime.ts';
import { FrameDecoder } from './frames.ts';

export function openAttachSession(helperPath: string, socketPath: string, options: { stdin: boolean }): Promise<StdioSession> {
  const helper = spawn(helperPath, options.stdin ? [socketPath] : ['-n', socketPath], {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const output = new FrameDecoder();
  let stderr = '';
  helper.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  helper.stdout?.pipe(output);
  // A client that goes away while we write its stdin is not our error.
  helper.stdin?.on('error', () => {});
  const session: StdioSession = {
    output,
    input: helper.stdin ?? undefined,
    close: () => {
      if (helper.exitCode === null && helper.signalCode === null) helper.kill('SIGTERM');
    },
  };
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => {
      reject(new MarinaError('Unavailable', `cannot attach to ${socketPath} (marina-attach exited ${code}): ${stderr.trim()}; is the container's monitor running?`));
    };
    helper.once('error', (err) =>
      reject(new MarinaError('Unavailable', `cannot run the attach helper ${helperPath}: ${err.message}; build it with npm run build`, { cause: err })),
    );
    helper.once('exit', onExit);
    output.once('connected', () => {
      helper.off('exit', onExit);
      resolve(session);
    });
  });
}
