/**
 * The command lines conmon is started with, for a container and for an exec session. Pure, so the
 * protocol details (reference doc §3.2) are visible and tested in one place.
 */
import { join } from 'node:path';

export interface ConmonPaths {
  conmonPath: string;
  runcPath: string;
  /** runc's state directory (`runc --root`). */
  runcRoot: string;
}

/** Files conmon creates in a bundle (or an exec's directory). */
export function monitorFiles(dir: string) {
  return {
    attachSocket: join(dir, 'attach'),
    ctlFifo: join(dir, 'ctl'),
    pidFile: join(dir, 'pidfile'),
    conmonPidFile: join(dir, 'conmon.pid'),
    persistDir: join(dir, 'persist'),
  };
}

export function execDir(bundleDir: string, execId: string): string {
  return join(bundleDir, 'exec', execId);
}

export function createArgs(
  paths: ConmonPaths,
  options: {
    id: string;
    bundleDir: string;
    exitDir: string;
    logPath: string;
    logSizeMax: number;
    tty: boolean;
    openStdin: boolean;
    leaveStdinOpen?: boolean;
  },
): string[] {
  const files = monitorFiles(options.bundleDir);
  return [
    '--api-version', '1',
    '-c', options.id,
    '-u', options.id,
    '-r', paths.runcPath,
    '-b', options.bundleDir,
    '-p', files.pidFile,
    '-n', options.id,
    '--exit-dir', options.exitDir,
    '--persist-dir', files.persistDir,
    '--full-attach',
    '--socket-dir-path', options.bundleDir,
    '-l', `k8s-file:${options.logPath}`,
    '--log-size-max', String(options.logSizeMax),
    '--conmon-pidfile', files.conmonPidFile,
    '--runtime-arg', `--root=${paths.runcRoot}`,
    ...(options.tty ? ['-t'] : []),
    ...(options.openStdin ? ['-i'] : []),
    ...(options.openStdin && options.leaveStdinOpen ? ['--leave-stdin-open'] : []),
  ];
}

/**
 * An exec session gets its own directory as conmon's bundle: its attach socket, ctl fifo, pid file and
 * exit files (`<dir>/persist/exit`, `<dir>/<container id>`) never collide with the container's.
 */
export function execArgs(
  paths: ConmonPaths,
  options: { containerId: string; execId: string; dir: string; processSpecPath: string; tty: boolean; openStdin: boolean },
): string[] {
  const files = monitorFiles(options.dir);
  return [
    '--api-version', '1',
    '-c', options.containerId,
    '-u', options.execId,
    '-r', paths.runcPath,
    '-b', options.dir,
    '-p', files.pidFile,
    '-n', options.containerId,
    '--exit-dir', options.dir,
    '--persist-dir', files.persistDir,
    '--full-attach',
    '--socket-dir-path', options.dir,
    '-l', 'none',
    '--conmon-pidfile', files.conmonPidFile,
    '--runtime-arg', `--root=${paths.runcRoot}`,
    '-e',
    '--exec-process-spec', options.processSpecPath,
    '--exec-attach',
    ...(options.tty ? ['-t'] : []),
    ...(options.openStdin ? ['-i'] : []),
  ];
}
