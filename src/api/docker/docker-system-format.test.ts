import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerSummary } from '../../engine/container-types.ts';
import type { SystemInfo } from '../../engine/services.ts';
import type { ImageRecord } from '../../image/image-types.ts';
import { daemonId, dockerArch, dockerDiskUsage, dockerInfo, dockerVersion, layersSize } from './docker-system-format.ts';

const info: SystemInfo = {
  version: '0.6.0',
  root: '/var/lib/marina',
  containers: { total: 3, running: 1, stopped: 2 },
  images: 2,
  runtime: 'runc',
  cgroupVersion: '1',
  kernel: '6.1.0-13-amd64',
  os: 'Debian GNU/Linux 12 (bookworm)',
  arch: 'x64',
  cpus: 4,
  memoryBytes: 8_000_000_000,
};

const layer = (n: number, size: number) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${String(n).repeat(64)}` as const, size });
const image = (n: number, layers: ReturnType<typeof layer>[], names: string[]): ImageRecord => ({
  id: `sha256:${String(n).repeat(64)}`,
  manifestDigest: `sha256:${String(n + 1).repeat(64)}`,
  manifest: { schemaVersion: 2, config: layer(9, 1), layers },
  config: { architecture: 'amd64', os: 'linux', config: { Labels: { l: String(n) } }, rootfs: { type: 'layers', diff_ids: [] } },
  names,
  size: layers.reduce((s, l) => s + l.size, 0),
  created: '2025-01-01T00:00:10Z',
});

test('version: Docker 1.43 with the Engine component, Go names for the architecture', () => {
  const body = dockerVersion({ version: '0.6.0', kernel: '6.1.0', arch: 'x64', runtimeVersion: 'v24.1.0' });
  assert.equal(body.ApiVersion, '1.43');
  assert.equal(body.MinAPIVersion, '1.24');
  assert.equal(body.Version, '0.6.0');
  assert.equal(body.Arch, 'amd64');
  assert.equal(body.Os, 'linux');
  assert.deepEqual(body.Platform, { Name: 'Marina' });
  const [engine] = body.Components as { Name: string; Version: string; Details: Record<string, string> }[];
  assert.equal(engine!.Name, 'Engine');
  assert.equal(engine!.Details.ApiVersion, '1.43');
  assert.deepEqual(dockerArch('arm64'), { goArch: 'arm64', machine: 'aarch64' });
  assert.deepEqual(dockerArch('mips'), { goArch: 'mips', machine: 'mips' });
});

test('info: the counts, paths and fixed answers Docker clients read', () => {
  const body = dockerInfo(info, { name: 'host1', now: new Date('2025-01-01T00:00:00Z') });
  assert.equal(body.ContainersRunning, 1);
  assert.equal(body.ContainersStopped, 2);
  assert.equal(body.ContainersPaused, 0);
  assert.equal(body.Images, 2);
  assert.equal(body.Driver, 'overlay2');
  assert.equal(body.DockerRootDir, '/var/lib/marina');
  assert.equal(body.Architecture, 'x86_64');
  assert.equal(body.OSType, 'linux');
  assert.equal(body.CgroupDriver, 'cgroupfs');
  assert.equal(body.CgroupVersion, '1');
  assert.equal(body.Name, 'host1');
  assert.equal(body.ServerVersion, '0.6.0');
  assert.deepEqual(body.Runtimes, { runc: { path: 'runc' } });
  assert.equal(body.DefaultRuntime, 'runc');
  assert.deepEqual((body.Swarm as Record<string, unknown>).LocalNodeState, 'inactive');
  assert.deepEqual(body.Warnings, []);
  assert.match(String(body.ID), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(daemonId('/var/lib/marina'), body.ID);
  assert.notEqual(daemonId('/other'), body.ID);
});

test('system df: shared layers counted once and as SharedSize, containers per image, measured sizes, build cache', () => {
  const a = image(1, [layer(3, 100), layer(4, 50)], ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1']);
  const b = image(2, [layer(3, 100), layer(5, 7)], ['localhost:5000/me/app:v1']);
  assert.equal(layersSize([a, b]), 157);
  const container: ContainerSummary = {
    id: 'c'.repeat(64),
    name: 'web',
    image: 'busybox',
    imageId: a.id,
    command: 'sh',
    created: '2025-01-01T00:00:20Z',
    status: 'running',
    statusText: 'Up 3 seconds',
    labels: {},
    ports: [],
  };
  const volume = { name: 'v1', driver: 'local' as const, mountpoint: '/m', createdAt: '2025-01-01T00:00:00Z', labels: {}, anonymous: false };
  const unmeasured = { ...volume, name: 'v2' };
  const body = dockerDiskUsage({
    images: [a, b],
    containers: [container],
    volumes: [volume, unmeasured],
    volumeRefCounts: new Map([['v1', 2]]),
    containerBytes: new Map([[container.id, 1_048_576]]),
    volumeBytes: new Map([['v1', 2_000_000]]),
    buildCache: [
      { key: 'sha256:k1', size: 300, created: '2025-01-01T00:00:00Z', lastUsed: '2025-01-02T00:00:00Z', description: 'RUN make', shared: true },
      { key: 'sha256:k2', size: 40, created: '2025-01-01T00:00:00Z', lastUsed: '2025-01-01T00:00:00Z', description: '', shared: false },
    ],
  });
  assert.equal(body.LayersSize, 157);
  const [ia, ib] = body.Images as Record<string, unknown>[];
  assert.deepEqual(ia!.RepoTags, ['busybox:latest', 'busybox:1']);
  assert.deepEqual(ia!.RepoDigests, [`busybox@${a.manifestDigest}`]);
  assert.equal(ia!.Containers, 1);
  assert.deepEqual([ia!.Size, ia!.SharedSize, ib!.Size, ib!.SharedSize], [150, 100, 107, 100]);
  assert.equal(ia!.Created, 1735689610);
  assert.deepEqual(ia!.Labels, { l: '1' });
  assert.deepEqual(ib!.RepoTags, ['localhost:5000/me/app:v1']);
  assert.equal(ib!.Containers, 0);
  const [c] = body.Containers as Record<string, unknown>[];
  assert.deepEqual(c!.Names, ['/web']);
  assert.equal(c!.State, 'running');
  assert.equal(c!.Status, 'Up 3 seconds');
  assert.deepEqual([c!.SizeRw, c!.SizeRootFs], [1_048_576, 1_048_576 + 150]);
  const [v1, v2] = body.Volumes as Record<string, unknown>[];
  assert.deepEqual(v1!.UsageData, { Size: 2_000_000, RefCount: 2 });
  assert.deepEqual(v2!.UsageData, { Size: -1, RefCount: 0 });
  const [k1, k2] = body.BuildCache as Record<string, unknown>[];
  assert.deepEqual(
    { ID: k1!.ID, Type: k1!.Type, Shared: k1!.Shared, InUse: k1!.InUse, Size: k1!.Size, LastUsedAt: k1!.LastUsedAt, Description: k1!.Description },
    { ID: 'sha256:k1', Type: 'regular', Shared: true, InUse: false, Size: 300, LastUsedAt: '2025-01-02T00:00:00Z', Description: 'RUN make' },
  );
  assert.deepEqual([k2!.Shared, k2!.Size], [false, 40]);
});
