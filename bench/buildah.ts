/**
 * buildah, the builder `marina build` is measured against, with all its state under one directory: its
 * own storage (--root, --runroot, overlay driver) and a containers.conf for this machine (runc, the runtime
 * Docker uses and Marina drives; cgroupfs and file events, as there is no systemd here). busybox comes
 * from the same `marina image save` tarball Marina runs, so FROM busybox resolves locally and nothing is
 * pulled (--pull-never).
 */
import { join } from 'node:path';
import { cleanupRoot, runProcess } from '../test/harness.ts';
import { writeContainersConf } from './image-anchors.ts';

/** One builder as bench/build.ts drives it: the same calls for marina and for buildah. */
export interface Builder {
  name: 'marina' | 'buildah';
  /** Builds `context` (its Dockerfile) into `tag`; `noCache` rebuilds every step. */
  build(context: string, tag: string, noCache: boolean): Promise<void>;
  /** The content of `path` in the image `tag`, to check that what was timed really built. */
  readFile(tag: string, path: string): Promise<string>;
  dispose(): Promise<void> | void;
}

/** Runs a command to completion; throws with its output when it exits non-zero. Returns stdout. */
export async function checkedRun(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<string> {
  const r = await runProcess(cmd, args, { env: options.env, timeoutMs: options.timeoutMs ?? 600_000 });
  if (r.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export async function prepareBuildah(busyboxTar: string, dir: string): Promise<Builder> {
  const storage = join(dir, 'storage');
  const runroot = join(dir, 'run');
  const env = writeContainersConf(dir);
  const global = ['--root', storage, '--runroot', runroot, '--storage-driver', 'overlay'];
  const buildah = (args: string[]) => checkedRun('buildah', [...global, ...args], { env });

  // Under the name Docker gives `busybox`, so that FROM busybox finds it in local storage.
  await checkedRun('skopeo', [
    'copy',
    '-q',
    `docker-archive:${busyboxTar}`,
    `containers-storage:[overlay@${storage}+${runroot}]docker.io/library/busybox:latest`,
  ]);
  return {
    name: 'buildah',
    async build(context, tag, noCache) {
      // --layers caches every step as Docker does (buildah's default is one layer per build, no cache);
      // --isolation oci runs RUN steps in runc containers, as Docker's default isolation does.
      await buildah([
        'build',
        '--layers',
        '--pull-never',
        '--isolation',
        'oci',
        '--network',
        'none',
        '-q',
        ...(noCache ? ['--no-cache'] : []),
        '-t',
        tag,
        context,
      ]);
    },
    async readFile(tag, path) {
      const container = (await buildah(['from', '-q', '--pull-never', tag])).trim();
      try {
        const mountPoint = (await buildah(['mount', container])).trim();
        return await checkedRun('cat', [join(mountPoint, path)]);
      } finally {
        await buildah(['rm', container]);
      }
    },
    async dispose() {
      // buildah's own cleanup first (containers, their mounts, images); then whatever it left under `dir`
      // (mounts, processes), even when buildah itself failed.
      await buildah(['rm', '-a']).catch(() => {});
      await buildah(['rmi', '-a', '-f']).catch(() => {});
      cleanupRoot(dir);
    },
  };
}
