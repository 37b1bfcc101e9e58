/**
 * Real clients against real registries: skopeo pushing to marina's registry and `marina pull` taking it
 * back; `marina login` + `marina push` of the seeded busybox, pulled into a second daemon that runs it;
 * skopeo reading marina's registry; `marina pull` from Debian's docker-registry; the platform picked from
 * a multi-arch index. Every daemon and registry here is on loopback and removed afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ImageRecord, Platform } from '../src/image/image-types.ts';
import { type RunOptions, startDaemon, type TestDaemon, uniqueName } from './harness.ts';
import {
  hostPlatform,
  layoutDigest,
  makeOciLayout,
  type RunningRegistry,
  skopeoPull,
  skopeoPush,
  startDistributionRegistry,
  useRegistryDaemon,
} from './registry-fixtures.ts';

let work: string;
/** MARINA_CONFIG of every CLI call here, so that logins never touch the host's ~/.marina. */
let cliEnv: RunOptions;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'marina-registry-clients-'));
  cliEnv = { env: { MARINA_CONFIG: join(work, 'marina-config') } };
});
after(() => rm(work, { recursive: true, force: true }));

async function inspectImage(daemon: TestDaemon, reference: string): Promise<ImageRecord> {
  const [record] = JSON.parse(await daemon.ok(['image', 'inspect', reference], cliEnv)) as ImageRecord[];
  assert.ok(record, `no image ${reference}`);
  return record;
}

function otherPlatform(): Platform {
  return { os: 'linux', architecture: hostPlatform().architecture === 'arm64' ? 'amd64' : 'arm64' };
}

describe('real clients against marina and docker-registry', () => {
  const registry = useRegistryDaemon();

  before(async () => {
    await registry().daemon.ok(['registry', 'user', 'add', 'alice', '--password-stdin'], {
      input: 'alice-secret\n',
    });
  });

  test('marina login writes $MARINA_CONFIG/config.json with mode 0600; a wrong password is refused', async () => {
    const { daemon, host } = registry();
    const wrong = await daemon.marina(['login', '-u', 'alice', '--password-stdin', host], {
      ...cliEnv,
      input: 'nope\n',
    });
    assert.notEqual(wrong.code, 0, 'login with a wrong password must fail');
    await daemon.ok(['login', '-u', 'alice', '--password-stdin', host], {
      ...cliEnv,
      input: 'alice-secret\n',
    });
    const path = join(work, 'marina-config', 'config.json');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const config = JSON.parse(await readFile(path, 'utf8')) as {
      auths: Record<string, { auth?: string; identitytoken?: string }>;
    };
    const entry = config.auths[host];
    assert.ok(entry, `no entry for ${host}`);
    // Like Docker: the refresh token the registry returns at login is kept instead of the password.
    if (entry.identitytoken === undefined)
      assert.equal(entry.auth, Buffer.from('alice:alice-secret').toString('base64'));
    else assert.match(entry.identitytoken, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
  });

  test('skopeo pushes an OCI layout to marina; marina pulls it from its own registry', async () => {
    const { daemon, host } = registry();
    const layout = await makeOciLayout(join(work, 'layout-a'), {
      layers: [{ sizeBytes: 3 * 1024 * 1024 }, { sizeBytes: 1024 }],
      tag: 'v1',
      seed: 11,
    });
    const reference = `${host}/${uniqueName('layout/app')}:v1`;
    await skopeoPush(layout.dir, 'v1', reference, { creds: 'alice:alice-secret' });
    await daemon.ok(['pull', reference], cliEnv);
    const record = await inspectImage(daemon, reference);
    assert.equal(record.id, layout.images[0]!.configDigest);
    assert.equal(record.manifestDigest, layout.digest);
    assert.deepEqual(record.config.rootfs.diff_ids, layout.images[0]!.diffIds);
  });

  test('marina pushes busybox; a second daemon pulls and runs it; skopeo reads the same digests', async (t) => {
    const { daemon, host } = registry();
    const reference = `${host}/${uniqueName('lib/busybox')}:1`;
    await daemon.ok(['tag', 'busybox', reference], cliEnv);
    const pushed = await daemon.ok(['push', reference], cliEnv);
    const local = await inspectImage(daemon, reference);
    assert.match(pushed, new RegExp(local.manifestDigest), `push output names the digest: ${pushed}`);

    const second = await startDaemon({ seedBusybox: false });
    t.after(() => second.destroy());
    await second.ok(['pull', reference], cliEnv);
    const pulled = await inspectImage(second, reference);
    assert.equal(pulled.id, local.id);
    assert.equal(pulled.manifestDigest, local.manifestDigest);
    assert.equal((await second.ok(['run', '--rm', reference, 'echo', 'hi'], cliEnv)).trim(), 'hi');

    const out = join(work, uniqueName('skopeo-out'));
    await skopeoPull(reference, out, '1', { creds: 'alice:alice-secret' });
    assert.equal(await layoutDigest(out), local.manifestDigest);
    for (const layer of local.manifest.layers) {
      const bytes = await readFile(join(out, 'blobs', 'sha256', layer.digest.slice(7)));
      assert.equal(bytes.length, layer.size, `layer ${layer.digest} came whole`);
    }
  });

  test('marina pulls from Debian docker-registry after skopeo pushed there', async (t) => {
    const { daemon } = registry();
    const distribution: RunningRegistry = await startDistributionRegistry();
    t.after(() => distribution.stop());
    const layout = await makeOciLayout(join(work, 'layout-dist'), {
      layers: [{ sizeBytes: 2 * 1024 * 1024 }, { sizeBytes: 512 * 1024 }, { sizeBytes: 10 }],
      tag: 'v1',
      seed: 12,
    });
    const reference = `${distribution.host}/dist/app:v1`;
    await skopeoPush(layout.dir, 'v1', reference);
    // No --insecure-registry: loopback falls back to plain HTTP after HTTPS fails, as with Docker.
    await daemon.ok(['pull', reference], cliEnv);
    const record = await inspectImage(daemon, reference);
    assert.equal(record.id, layout.images[0]!.configDigest);
    assert.equal(record.manifestDigest, layout.digest);
  });

  test('from a multi-arch index marina pulls the host platform, or the one --platform names', async () => {
    const { daemon, host } = registry();
    const other = otherPlatform();
    const layout = await makeOciLayout(join(work, 'layout-multi'), {
      layers: [{ sizeBytes: 256 * 1024 }],
      tag: 'v1',
      seed: 13,
      platforms: [other, hostPlatform()],
    });
    const repo = `${host}/${uniqueName('multi/app')}`;
    await skopeoPush(layout.dir, 'v1', `${repo}:v1`, { creds: 'alice:alice-secret', all: true });
    const [otherImage, hostImage] = layout.images as [(typeof layout.images)[0], (typeof layout.images)[0]];

    await daemon.ok(['pull', `${repo}:v1`], cliEnv);
    const record = await inspectImage(daemon, `${repo}:v1`);
    assert.equal(record.id, hostImage.configDigest, 'the host platform was picked');
    assert.equal(record.config.architecture, hostPlatform().architecture);

    await daemon.ok(['pull', '--platform', `${other.os}/${other.architecture}`, `${repo}:v1`], cliEnv);
    const picked = await inspectImage(daemon, `${repo}:v1`);
    assert.equal(picked.id, otherImage.configDigest, '--platform picked the other image');
    assert.equal(picked.config.architecture, other.architecture);
  });

  test('marina logout removes the saved credentials', async () => {
    const { daemon, host } = registry();
    await daemon.ok(['login', '-u', 'alice', '--password-stdin', host], {
      ...cliEnv,
      input: 'alice-secret\n',
    });
    await daemon.ok(['logout', host], cliEnv);
    const config = JSON.parse(await readFile(join(work, 'marina-config', 'config.json'), 'utf8')) as {
      auths?: Record<string, unknown>;
    };
    assert.equal(config.auths?.[host], undefined);
  });
});
