/** Runs the system tools Marina needs (runc, mount, ip, iptables, debootstrap…) without a shell. */
import { execFile } from 'node:child_process';
import { MarinaError } from './errors.ts';
import { type SpawnHelper, sharedSpawnHelper } from './spawn-helper.ts';

export interface CommandOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Enough for `iptables-save` on a busy host, `runc list` with many containers, debootstrap's chatter
 * (marina-spawn's limit is the same, OUTPUT_MAX).
 */
const maxOutputBytes = 64 * 1024 * 1024;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Resolves with the exit code and output; rejects with `Unavailable` only when the tool is not installed.
 * Runs it through the spawn helper (see spawn-helper.ts), or through execFile when that is not built.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  return runCommandVia(sharedSpawnHelper(), command, args, options);
}

/** runCommand with a given helper, or execFile for null (tests hold both paths to one contract). */
export async function runCommandVia(
  helper: SpawnHelper | null,
  command: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  if (!helper) return runThroughExecFile(command, args, options);
  const outcome = await helper.run({
    command,
    args,
    cwd: options.cwd,
    env: options.env ?? process.env,
    input: options.input,
  });
  if (outcome.kind === 'notFound') throw notInstalled(command);
  // Like execFile: a command killed by a signal, or one that could not start, counts as exit code 1.
  const code = outcome.kind === 'exited' ? outcome.value : 1;
  return { code, stdout: outcome.stdout.toString('utf8'), stderr: outcome.stderr.toString('utf8') };
}

function runThroughExecFile(
  command: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const execOptions = {
      cwd: options.cwd,
      env: options.env,
      encoding: 'utf8' as const,
      maxBuffer: maxOutputBytes,
    };
    const child = execFile(command, args, execOptions, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT' && typeof err.code !== 'number') {
        reject(notInstalled(command, err));
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

function notInstalled(command: string, cause?: Error): MarinaError {
  const message = `${command} is not installed; install it (Debian: apt-get install ${packageOf(command)})`;
  return new MarinaError('Unavailable', message, cause ? { cause } : undefined);
}

/** Like runCommand, but a non-zero exit is an `Internal` error carrying the tool's message. */
export async function runChecked(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new MarinaError(
      'Internal',
      `${command} ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`,
    );
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
  conntrack: 'conntrack',
  openssl: 'openssl',
};

function packageOf(command: string): string {
  return packageByCommand[command] ?? 'mount';
}
