/**
 * The anchors Marina is measured against, both fed the same busybox image Marina runs (its `image save`
 * tarball): raw `runc run` on a bundle unpacked from it (the floor: no daemon, no image or state
 * bookkeeping) and `podman run` (a daemonless engine doing the same job as Marina).
 * Each keeps its state under the directory it is given; `dispose` undoes everything it made.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupRoot, runProcess } from '../test/harness.ts';

async function mustRun(cmd: string, args: string[], env?: Record<string, string>): Promise<void> {
  const r = await runProcess(cmd, args, { env, timeoutMs: 60_000 });
  if (r.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
}

export interface Anchor {
  /** Runs `true` in a fresh container once; resolves when it has exited and is gone. */
  runTrue(): Promise<void>;
  /** Kills what is left, unmounts and removes the anchor's directory, and whatever it made elsewhere. */
  dispose(): Promise<void> | void;
}

/** Unpacks a `docker save` tarball's layers, in order, into `rootfs`. */
function unpackSavedImage(imageTar: string, dir: string, rootfs: string): void {
  const saved = join(dir, 'saved');
  mkdirSync(saved, { recursive: true });
  mkdirSync(rootfs, { recursive: true });
  execFileSync('tar', ['-xf', imageTar, '-C', saved]);
  const manifest = JSON.parse(readFileSync(join(saved, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  for (const layer of manifest[0]?.Layers ?? [])
    execFileSync('tar', ['-xf', join(saved, layer), '-C', rootfs]);
}

export function prepareRuncFloor(imageTar: string, dir: string): Anchor {
  const bundle = join(dir, 'bundle');
  const state = join(dir, 'runc');
  unpackSavedImage(imageTar, dir, join(bundle, 'rootfs'));
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const specPath = join(bundle, 'config.json');
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
    process: { args: string[]; terminal: boolean };
  };
  spec.process.args = ['true'];
  spec.process.terminal = false;
  writeFileSync(specPath, JSON.stringify(spec));
  let n = 0;
  return {
    // `runc run` (not detached) creates, starts, waits and deletes: one whole container life.
    runTrue: () =>
      mustRun('runc', ['--root', state, 'run', '--bundle', bundle, `bench-${process.pid}-${n++}`]),
    dispose: () => cleanupRoot(dir),
  };
}

/**
 * Writes `dir`/containers.conf (making `dir`) for podman and buildah on this machine: runc (the runtime
 * Marina drives), cgroupfs and file events (no systemd or journald here), and no default ulimits (no
 * extra rlimit work that Marina does not do either). Returns the environment that points them at it.
 */
export function writeContainersConf(dir: string): { CONTAINERS_CONF: string } {
  const conf = join(dir, 'containers.conf');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = []',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'),
  );
  return { CONTAINERS_CONF: conf };
}

/** Podman with its own storage and run dirs under `dir`, and the containers.conf of writeContainersConf. */
export async function preparePodman(imageTar: string, dir: string): Promise<Anchor> {
  const env = writeContainersConf(dir);
  const global = [
    '--root',
    join(dir, 'storage'),
    '--runroot',
    join(dir, 'run'),
    '--tmpdir',
    join(dir, 'tmp'),
  ];
  const podmanCgroups = cgroupsNamed('libpod_parent').filter((c) => !existsSync(c));
  await mustRun('podman', [...global, 'load', '-q', '-i', imageTar], env);
  return {
    runTrue: () => mustRun('podman', [...global, 'run', '--rm', '--network=none', 'busybox', 'true'], env),
    dispose: async () => {
      cleanupRoot(dir);
      await removeEmptyCgroups(podmanCgroups);
    },
  };
}

/** `name` under every cgroup hierarchy mounted under /sys/fs/cgroup (v1 controllers and the v2 one). */
function cgroupsNamed(name: string): string[] {
  return readdirSync('/sys/fs/cgroup').map((hierarchy) => join('/sys/fs/cgroup', hierarchy, name));
}

/**
 * With cgroupfs, podman leaves `libpod_parent/conmon` behind in every hierarchy. Removes the ones the
 * bench made, deepest first. The last run's conmon can still be leaving when `podman run` has returned,
 * so a busy cgroup gets a few seconds; one still busy after that stays (what runs in it is not ours to kill).
 */
async function removeEmptyCgroups(cgroups: string[]): Promise<void> {
  const below = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => [...below(join(dir, e.name)), join(dir, e.name)]);
  for (let attempt = 0; attempt < 50; attempt++) {
    const left = cgroups.filter((c) => existsSync(c));
    if (left.length === 0) return;
    for (const dir of left.flatMap((c) => [...below(c), c])) {
      try {
        rmdirSync(dir);
      } catch {
        // Busy: tried again below.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
