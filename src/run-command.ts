/** Runs the system tools Marina needs (runc, mount, ip, iptables, debootstrap…) without a shell. */
import { execFile } from 'node:child_process';
import { MarinaError } from './errors.ts';

export interface CommandOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Enough for `iptables-save` on a busy host, `runc list` with many containers, debootstrap's chatter. */
const maxOutputBytes = 64 * 1024 * 1024;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Resolves with the exit code and output; rejects with `Unavailable` only when the tool is not installed. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const execOptions = { cwd: options.cwd, env: options.env, encoding: 'utf8' as const, maxBuffer: maxOutputBytes };
    const child = execFile(command, args, execOptions, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT' && typeof err.code !== 'number') {
        reject(
          new MarinaError('Unavailable', `${command} is not installed; install it (Debian: apt-get install ${packageOf(command)})`, {
            cause: err,
          }),
        );
        return;
      }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    // A tool that exits without reading its input closes the pipe; its exit status says what went wrong.
    child.stdin?.on('error', () => {});
    if (options.input === undefined) child.stdin?.end();
    else child.stdin?.end(options.input);
  });
}

/** Like runCommand, but a non-zero exit is an `Internal` error carrying the tool's message. */
export async function runChecked(command: string, args: readonly string[], options: CommandOptions = {}): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new MarinaError('Internal', `${command} ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** The Debian package that ships each tool Marina runs. */
const packageByCommand: Record<string, string> = {
  runc: 'runc',
  conmon: 'conmon',
  debootstrap: 'debootstrap',
  setfattr: 'attr',
  mknod: 'coreutils',
  ip: 'iproute2',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-restore': 'iptables',
  nsenter: 'util-linux',
  openssl: 'openssl',
};

function packageOf(command: string): string {
  return packageByCommand[command] ?? 'mount';
}
