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

/**
 * What every conmon session is started with, a container's or an exec's: its identity, its directory
 * (bundle, attach socket, pid files, persisted exit), where it reports exits, the runtime, and stdio.
 */
function sessionArgs(
  paths: ConmonPaths,
  session: { containerId: string; sessionId: string; dir: string; exitDir: string; tty: boolean; openStdin: boolean },
): string[] {
  const files = monitorFiles(session.dir);
  return [
    '--api-version', '1',
    '-c', session.containerId,
    '-u', session.sessionId,
    '-r', paths.runcPath,
    '-b', session.dir,
    '-p', files.pidFile,
    '-n', session.containerId,
    '--exit-dir', session.exitDir,
    '--persist-dir', files.persistDir,
    '--full-attach',
    '--socket-dir-path', session.dir,
    '--conmon-pidfile', files.conmonPidFile,
    '--runtime-arg', `--root=${paths.runcRoot}`,
    ...(session.tty ? ['-t'] : []),
    ...(session.openStdin ? ['-i'] : []),
  ];
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
  return [
    ...sessionArgs(paths, { ...options, containerId: options.id, sessionId: options.id, dir: options.bundleDir }),
    '-l', `k8s-file:${options.logPath}`,
    '--log-size-max', String(options.logSizeMax),
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
  return [
    ...sessionArgs(paths, { ...options, sessionId: options.execId, exitDir: options.dir }),
    '-l', 'none',
    '-e',
    '--exec-process-spec', options.processSpecPath,
    '--exec-attach',
  ];
}
