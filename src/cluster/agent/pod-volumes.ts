/**
 * A pod's volumes on this node: emptyDir and the files of configMap and secret volumes live in the pod's
 * directory under the agent's state dir (shared by its containers, removed with the pod); hostPath is
 * the host's path; persistentVolumeClaim is the Marina named volume called after the claim (created
 * when missing). `prepareVolumes` makes them; `mountsFor` (pure) turns a container's volumeMounts into
 * the engine's mounts, subPath and readOnly included.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { MountRequest } from '../../engine/container-types.ts';
import type { VolumeService } from '../../engine/services.ts';
import { invalid, isMarinaError } from '../../errors.ts';
import type { ConfigMap, Secret } from '../resources/core-schemas.ts';
import type { Container, Pod, Volume } from '../resources/pod-schemas.ts';
import type { EnvObjects } from './container-env.ts';

/** Where a volume is on the host: a directory, or a named engine volume (with its data directory). */
export type PreparedVolume =
  | { kind: 'directory'; path: string; readOnly: boolean }
  | { kind: 'named'; name: string; path: string; readOnly: boolean };

export type PreparedVolumes = ReadonlyMap<string, PreparedVolume>;

/** A file a configMap or secret volume holds. */
export interface ProjectedFile {
  path: string;
  content: Buffer;
  mode: number;
}

export function podDirectory(stateDir: string, podUid: string): string {
  return join(stateDir, 'pods', podUid);
}

/** The engine mounts for a container's volumeMounts; `Invalid` names a mount of an undeclared volume or a bad subPath. */
export function mountsFor(container: Container, volumes: PreparedVolumes): MountRequest[] {
  return (container.volumeMounts ?? []).map((mount) => {
    const volume = volumes.get(mount.name);
    if (!volume)
      throw invalid(`volumeMount "${mount.name}" of container ${container.name} names no volume of the pod`);
    const readOnly = volume.readOnly || (mount.readOnly ?? false);
    if (mount.subPath)
      return {
        type: 'bind',
        source: join(volume.path, checkedSubPath(mount.subPath)),
        target: mount.mountPath,
        readOnly,
      };
    if (volume.kind === 'named')
      return { type: 'volume', name: volume.name, target: mount.mountPath, readOnly };
    return { type: 'bind', source: volume.path, target: mount.mountPath, readOnly };
  });
}

/** A subPath stays inside its volume: relative, no `..`. */
export function checkedSubPath(subPath: string): string {
  const normal = normalize(subPath);
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../')) {
    throw invalid(`subPath "${subPath}" must be a relative path inside the volume`);
  }
  return normal;
}

/** The files of a configMap volume (`items` picks and renames keys; otherwise every key), or a missing-key error. */
export function configMapFiles(volume: NonNullable<Volume['configMap']>, object: ConfigMap): ProjectedFile[] {
  const values = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(object.data ?? {})) values.set(key, Buffer.from(value));
  for (const [key, value] of Object.entries(object.binaryData ?? {}))
    values.set(key, Buffer.from(value, 'base64'));
  return projectedFiles(values, volume.items, volume.defaultMode, `configmap "${object.metadata.name}"`);
}

export function secretFiles(volume: NonNullable<Volume['secret']>, object: Secret): ProjectedFile[] {
  const values = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(object.data ?? {})) values.set(key, Buffer.from(value, 'base64'));
  return projectedFiles(values, volume.items, volume.defaultMode, `secret "${object.metadata.name}"`);
}

function projectedFiles(
  values: ReadonlyMap<string, Buffer>,
  items: { key: string; path: string; mode?: number }[] | undefined,
  defaultMode: number | undefined,
  what: string,
): ProjectedFile[] {
  const mode = defaultMode ?? 0o644;
  if (!items) return [...values].map(([key, content]) => ({ path: key, content, mode }));
  return items.map((item) => {
    const content = values.get(item.key);
    if (!content) throw invalid(`key "${item.key}" not found in ${what}`);
    return { path: checkedSubPath(item.path), content, mode: item.mode ?? mode };
  });
}

export interface VolumeDeps {
  stateDir: string;
  volumes: Pick<VolumeService, 'create' | 'inspect'>;
  objects: EnvObjects;
}

/**
 * Makes every volume of the pod ready to mount (again: files are rewritten, so a changed ConfigMap shows
 * in containers created from now on). `Invalid` when a referenced ConfigMap or Secret is missing.
 */
export async function prepareVolumes(pod: Pod, deps: VolumeDeps): Promise<Map<string, PreparedVolume>> {
  const podDir = podDirectory(deps.stateDir, pod.metadata.uid ?? '');
  const prepared = new Map<string, PreparedVolume>();
  for (const volume of pod.spec.volumes ?? []) {
    const dir = (type: string) => join(podDir, 'volumes', type, volume.name);
    if (volume.hostPath) {
      await prepareHostPath(volume.hostPath.path, volume.hostPath.type);
      prepared.set(volume.name, { kind: 'directory', path: volume.hostPath.path, readOnly: false });
    } else if (volume.configMap) {
      const name = volume.configMap.name ?? '';
      const object = deps.objects.configMap(name);
      if (!object && !volume.configMap.optional)
        throw invalid(`configmap "${name}" not found (volume ${volume.name})`);
      const path = dir('configmap');
      await writeProjected(path, object ? configMapFiles(volume.configMap, object) : [], 0o755);
      prepared.set(volume.name, { kind: 'directory', path, readOnly: true });
    } else if (volume.secret) {
      const name = volume.secret.secretName ?? '';
      const object = deps.objects.secret(name);
      if (!object && !volume.secret.optional)
        throw invalid(`secret "${name}" not found (volume ${volume.name})`);
      const path = dir('secret');
      await writeProjected(path, object ? secretFiles(volume.secret, object) : [], 0o700);
      prepared.set(volume.name, { kind: 'directory', path, readOnly: true });
    } else if (volume.persistentVolumeClaim) {
      const name = volume.persistentVolumeClaim.claimName;
      const record = await deps.volumes.inspect(name).catch(async (err: unknown) => {
        if (!isMarinaError(err, 'NotFound')) throw err;
        return await deps.volumes.create(name, { labels: { 'io.marina.claim': name } });
      });
      prepared.set(volume.name, {
        kind: 'named',
        name,
        path: record.mountpoint,
        readOnly: volume.persistentVolumeClaim.readOnly ?? false,
      });
    } else {
      const path = dir('empty-dir');
      await mkdir(path, { recursive: true, mode: 0o777 });
      prepared.set(volume.name, { kind: 'directory', path, readOnly: false });
    }
  }
  // subPaths are made inside their volume, as the kubelet does, so the bind mount has a source.
  for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const mount of container.volumeMounts ?? []) {
      const volume = prepared.get(mount.name);
      if (volume && mount.subPath && !volume.readOnly)
        await mkdir(join(volume.path, checkedSubPath(mount.subPath)), { recursive: true });
    }
  }
  return prepared;
}

/** Removes the pod's directory (its emptyDirs and projected files); named volumes and host paths stay. */
export async function removePodDirectory(stateDir: string, podUid: string): Promise<void> {
  await rm(podDirectory(stateDir, podUid), { recursive: true, force: true });
}

async function prepareHostPath(path: string, type: string | undefined): Promise<void> {
  if (type === 'DirectoryOrCreate') await mkdir(path, { recursive: true, mode: 0o755 });
  if (type === 'FileOrCreate') {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await writeFile(path, '', { flag: 'a', mode: 0o644 });
  }
}

async function writeProjected(dir: string, files: readonly ProjectedFile[], dirMode: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: dirMode });
  for (const file of files) {
    const path = join(dir, file.path);
    await mkdir(dirname(path), { recursive: true, mode: dirMode });
    await writeFile(path, file.content, { mode: file.mode });
  }
}
