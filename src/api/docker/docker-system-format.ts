/**
 * Docker's `/_ping`, `/version`, `/info` and `/system/df` bodies as pure functions of what the engine
 * reports, so every field Docker clients read is pinned by a unit test.
 */
import { createHash } from 'node:crypto';
import type { CacheUsage } from '../../build/build-cache.ts';
import type { ContainerSummary } from '../../engine/container-types.ts';
import type { SystemInfo } from '../../engine/services.ts';
import type { ImageRecord } from '../../image/image-types.ts';
import { familiarizeReference, parseReferenceLoose, familiarRepository } from '../../image/reference.ts';
import type { VolumeRecord } from '../../volume/volume-service.ts';
import { dockerApiVersion, dockerMinApiVersion, unixSeconds } from './docker-http.ts';
import { dockerVolume } from './docker-network-volume-format.ts';
import { dockerSummaryFields } from './docker-container-json.ts';

/** `/_ping` headers besides Api-Version, which the server sets on every answer. */
export const dockerPingHeaders: Record<string, string> = {
  'Docker-Experimental': 'false',
  'Builder-Version': '1',
  Swarm: 'inactive',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
};

/** Node's `os.arch()` as Go names it (`/version`) and as `uname -m` does (`/info`). */
export function dockerArch(nodeArch: string): { goArch: string; machine: string } {
  const known: Record<string, { goArch: string; machine: string }> = {
    x64: { goArch: 'amd64', machine: 'x86_64' },
    arm64: { goArch: 'arm64', machine: 'aarch64' },
    arm: { goArch: 'arm', machine: 'armv7l' },
    ia32: { goArch: '386', machine: 'i686' },
    ppc64: { goArch: 'ppc64le', machine: 'ppc64le' },
    s390x: { goArch: 's390x', machine: 's390x' },
    riscv64: { goArch: 'riscv64', machine: 'riscv64' },
  };
  return known[nodeArch] ?? { goArch: nodeArch, machine: nodeArch };
}

export interface VersionFacts {
  version: string;
  kernel: string;
  arch: string;
  /** Node's version stands where Docker names its Go version. */
  runtimeVersion: string;
}

export function dockerVersion(facts: VersionFacts): Record<string, unknown> {
  const common = {
    ApiVersion: dockerApiVersion,
    MinAPIVersion: dockerMinApiVersion,
    GitCommit: '',
    GoVersion: facts.runtimeVersion,
    Os: 'linux',
    Arch: dockerArch(facts.arch).goArch,
    BuildTime: '',
  };
  return {
    Platform: { Name: 'Marina' },
    Components: [{ Name: 'Engine', Version: facts.version, Details: { ...common, KernelVersion: facts.kernel, Experimental: 'false' } }],
    Version: facts.version,
    ...common,
    KernelVersion: facts.kernel,
  };
}

/** A stable daemon id in Docker's UUID form, from the state root (one daemon per root). */
export function daemonId(root: string): string {
  const hex = createHash('sha256').update(root).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function dockerInfo(info: SystemInfo, host: { name: string; now: Date }): Record<string, unknown> {
  return {
    ID: daemonId(info.root),
    Containers: info.containers.total,
    ContainersRunning: info.containers.running,
    ContainersPaused: 0,
    ContainersStopped: info.containers.stopped,
    Images: info.images,
    Driver: 'overlay2',
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['bridge'], Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: true,
    SwapLimit: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    IPv4Forwarding: true,
    Debug: false,
    OomKillDisable: false,
    SystemTime: host.now.toISOString(),
    LoggingDriver: 'k8s-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: info.cgroupVersion,
    KernelVersion: info.kernel,
    OperatingSystem: info.os,
    OSVersion: '',
    OSType: 'linux',
    Architecture: dockerArch(info.arch).machine,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
    NCPU: info.cpus,
    MemTotal: info.memoryBytes,
    DockerRootDir: info.root,
    Name: host.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: info.version,
    Runtimes: { [info.runtime]: { path: info.runtime } },
    DefaultRuntime: info.runtime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    SecurityOptions: ['name=seccomp,profile=builtin'],
    Warnings: [],
  };
}

/** Each stored layer counted once, however many images share it: Docker's `LayersSize`. */
export function layersSize(images: readonly ImageRecord[]): number {
  const sizes = new Map<string, number>();
  for (const image of images) for (const layer of image.manifest.layers) sizes.set(layer.digest, layer.size);
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}

/** `repo:tag` names and `repo@digest` digests as Docker lists them, familiar (`busybox:latest`). */
function imageNames(image: ImageRecord): { tags: string[]; digests: string[] } {
  const tags = image.names.map(familiarizeReference);
  const repositories = new Set(image.names.map((n) => familiarRepository(parseReferenceLoose(n))));
  return { tags, digests: [...repositories].map((r) => `${r}@${image.manifestDigest}`) };
}

export interface DiskUsageInput {
  images: readonly ImageRecord[];
  containers: readonly ContainerSummary[];
  volumes: readonly VolumeRecord[];
  /** Containers mounting each volume. */
  volumeRefCounts: ReadonlyMap<string, number>;
  /** Bytes in each container's writable layer, by container id. */
  containerBytes: ReadonlyMap<string, number>;
  /** Bytes of each volume's data, by name; a volume missing here is reported as unknown (-1). */
  volumeBytes: ReadonlyMap<string, number>;
  buildCache: readonly CacheUsage[];
}

/** Per image, the bytes of its layers that another image holds too (each stored once, so counted once in LayersSize). */
function sharedSizes(images: readonly ImageRecord[]): Map<string, number> {
  const users = new Map<string, number>();
  for (const image of images) for (const digest of new Set(image.manifest.layers.map((l) => l.digest))) users.set(digest, (users.get(digest) ?? 0) + 1);
  const shared = new Map<string, number>();
  for (const image of images) {
    let bytes = 0;
    for (const layer of image.manifest.layers) if ((users.get(layer.digest) ?? 0) > 1) bytes += layer.size;
    shared.set(image.id, bytes);
  }
  return shared;
}

/**
 * `GET /system/df`. The client computes the summary from these fields as Docker's CLI does: images'
 * reclaimable is LayersSize minus the unshared bytes of images containers use; containers' is the
 * writable bytes of those not running; volumes' the bytes of those no container mounts; the build
 * cache's the bytes of entries not shared with an image.
 */
export function dockerDiskUsage(input: DiskUsageInput): Record<string, unknown> {
  const containersOfImage = new Map<string, number>();
  for (const c of input.containers) containersOfImage.set(c.imageId, (containersOfImage.get(c.imageId) ?? 0) + 1);
  const imageSize = new Map<string, number>(input.images.map((image) => [image.id, image.size]));
  const shared = sharedSizes(input.images);
  return {
    LayersSize: layersSize(input.images),
    Images: input.images.map((image) => {
      const { tags, digests } = imageNames(image);
      return {
        Id: image.id,
        ParentId: '',
        RepoTags: tags,
        RepoDigests: digests,
        Created: unixSeconds(image.created),
        Size: image.size,
        SharedSize: shared.get(image.id) ?? 0,
        VirtualSize: image.size,
        Labels: image.config.config?.Labels ?? {},
        Containers: containersOfImage.get(image.id) ?? 0,
      };
    }),
    Containers: input.containers.map((c) => {
      const sizeRw = input.containerBytes.get(c.id) ?? 0;
      return {
        ...dockerSummaryFields(c),
        SizeRw: sizeRw,
        // Docker's: everything the container sees, its image and what it wrote.
        SizeRootFs: sizeRw + (imageSize.get(c.imageId) ?? 0),
        Mounts: [],
      };
    }),
    Volumes: input.volumes.map((v) => ({
      ...dockerVolume(v),
      UsageData: { Size: input.volumeBytes.get(v.name) ?? -1, RefCount: input.volumeRefCounts.get(v.name) ?? 0 },
    })),
    BuildCache: input.buildCache.map((entry) => ({
      ID: entry.key,
      Parents: null,
      Type: 'regular',
      Description: entry.description,
      // No build holds an entry between builds; a shared one's bytes belong to its image.
      InUse: false,
      Shared: entry.shared,
      Size: entry.size,
      CreatedAt: entry.created,
      LastUsedAt: entry.lastUsed,
      UsageCount: 0,
    })),
  };
}
