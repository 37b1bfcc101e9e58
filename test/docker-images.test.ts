/**
 * The real docker CLI (28.2.2) against marinad's Docker socket, image verbs: images, inspect, tag, rmi, history,
 * save/load, the classic builder (DOCKER_BUILDKIT=0), and login/push/pull against marina's own registry on
 * loopback. Never any other registry.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runProcess, showResult, type TestDaemon, uniqueName } from './harness.ts';
import { useRegistryDaemon } from './registry-fixtures.ts';


const ok = (d: TestDaemon, args: string[], env?: Record<string, string>) => d.dockerOk(args, env ? { env } : {});

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'marina-docker-images-'));
});
after(() => rm(work, { recursive: true, force: true }));

describe('docker image verbs', () => {
  // Its registry (token auth, user alice) serves the push/pull tests; its docker socket serves all of them.
  const registry = useRegistryDaemon();
  const d = new Proxy({} as TestDaemon, { get: (_t, key) => Reflect.get(registry().daemon, key) });

  before(async () => {
    await registry().daemon.ok(['registry', 'user', 'add', 'alice', '--password-stdin'], {
      input: 'alice-secret\n',
    });
  });

  test('docker images lists busybox; --format, filters and -q work', async () => {
    const table = await ok(d, ['images']);
    assert.match(table, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);
    assert.match(table, /\nbusybox\s+latest\s+[0-9a-f]{12}\s+/);
    const names = (await ok(d, ['images', '--format', '{{.Repository}}:{{.Tag}}'])).trim().split('\n');
    assert.ok(names.includes('busybox:latest'), names.join(','));
    assert.equal((await ok(d, ['images', '--filter', 'reference=nothing*', '-q'])).trim(), '');
    assert.match(await ok(d, ['images', '--filter', 'reference=busy*', '-q']), /^[0-9a-f]{12}\n$/);
    const bad = await d.docker(['images', '--filter', 'colour=red']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'colour'/);
  });

  test('docker image inspect reports Os, Architecture, RootFS and RepoTags; a missing image is No such image', async () => {
    assert.equal((await ok(d, ['image', 'inspect', 'busybox', '-f', '{{.Os}}'])).trim(), 'linux');
    const [image] = JSON.parse(await ok(d, ['image', 'inspect', 'busybox'])) as Array<
      Record<string, unknown>
    >;
    assert.ok(image);
    assert.match(String(image.Id), /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(image.RepoTags, ['busybox:latest']);
    assert.match(String(image.Created), /^\d{4}-\d\d-\d\dT/);
    assert.equal((image.RootFS as { Type: string }).Type, 'layers');
    assert.ok((image.RootFS as { Layers: string[] }).Layers.length >= 1);
    const missing = await d.docker(['image', 'inspect', 'nothing-here']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such image: nothing-here/);
  });

  test('docker tag and docker rmi: the new name appears, rmi prints Untagged and keeps busybox', async () => {
    await ok(d, ['tag', 'busybox', 'mine:1']);
    const idOf = async (name: string) => (await ok(d, ['image', 'inspect', name, '-f', '{{.Id}}'])).trim();
    assert.equal(await idOf('mine:1'), await idOf('busybox'));
    const out = await ok(d, ['rmi', 'mine:1']);
    assert.equal(out.trim(), 'Untagged: mine:1');
    const gone = await d.docker(['image', 'inspect', 'mine:1']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /No such image: mine:1/);
    assert.equal((await ok(d, ['image', 'inspect', 'busybox', '-f', '{{.Os}}'])).trim(), 'linux');
    const missing = await d.docker(['rmi', 'nothing-here:2']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such image: nothing-here:2/);
  });

  test('docker history shows the image newest first, its ID on top and <missing> below', async () => {
    const out = await ok(d, ['history', 'busybox']);
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
    assert.match(lines[1]!, /^[0-9a-f]{12}\s+/);
    const full = await ok(d, ['history', '--no-trunc', '--format', '{{.ID}}', 'busybox']);
    assert.match(full.split('\n')[0]!, /^sha256:[0-9a-f]{64}$/);
  });

  test('docker save -o then docker load -i brings the image back under its name', async () => {
    const file = join(work, 'busybox.tar');
    await ok(d, ['tag', 'busybox', 'saved:1']);
    await ok(d, ['save', 'saved:1', '-o', file]);
    assert.ok((await stat(file)).size > 100_000, 'the archive holds the layers');
    await ok(d, ['rmi', 'saved:1']);
    const out = await ok(d, ['load', '-i', file]);
    assert.match(out, /Loaded image: saved:1/);
    assert.equal((await ok(d, ['image', 'inspect', 'saved:1', '-f', '{{.Os}}'])).trim(), 'linux');
    await ok(d, ['rmi', 'saved:1']);
  });

  test('docker import makes an image of a rootfs tarball with -c changes', async (t) => {
    const root = join(work, 'rootfs');
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc', 'hello'), 'hi\n');
    const tarball = join(work, 'rootfs.tar');
    await runProcess('tar', ['-C', root, '-cf', tarball, '.']);
    t.after(() => d.docker(['rmi', '-f', 'imported:1']));
    assert.match(
      (await ok(d, ['import', '-c', 'CMD ["/x"]', tarball, 'imported:1'])).trim(),
      /^sha256:[0-9a-f]{64}$/,
    );
    assert.equal(
      (await ok(d, ['image', 'inspect', 'imported:1', '-f', '{{.Config.Cmd}} {{.Os}}'])).trim(),
      '[/x] linux',
    );
    await ok(d, ['rmi', 'imported:1']);
    assert.equal((await ok(d, ['images', '-q', '--filter', 'reference=imported'])).trim(), '');
  });

  test('DOCKER_BUILDKIT=0 docker build: Step lines, RUN output, Successfully built/tagged; a rebuild uses the cache', async (t) => {
    const ctx = join(work, 'ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nARG WHO=nobody\nRUN echo "building for $WHO" && echo "hi $WHO" > /greeting\nCMD ["cat", "/greeting"]\n',
    );
    const tag = `${uniqueName('built')}:1`;
    t.after(() => d.docker(['rmi', '-f', tag]));
    const env = { DOCKER_BUILDKIT: '0' };
    const first = await ok(d, ['build', '-t', tag, '--build-arg', 'WHO=docker', ctx], env);
    assert.match(first, /Step 1\/4 : FROM busybox/);
    assert.match(first, /Step 3\/4 : RUN echo/);
    assert.match(first, /building for docker/);
    assert.match(first, /Successfully built [0-9a-f]{12}/);
    assert.match(first, new RegExp(`Successfully tagged ${tag}`));
    assert.equal(await d.ok(['run', '--rm', tag]), 'hi docker\n');
    const second = await ok(d, ['build', '-t', tag, '--build-arg', 'WHO=docker', ctx], env);
    assert.doesNotMatch(first, /RUN[^\n]*\n ---> Using cache/, 'the first build runs its RUN');
    assert.match(second, /Step 3\/4 : RUN[^\n]*\n ---> Using cache\n/);
    assert.doesNotMatch(second, /building for docker/);
    const quiet = await ok(d, ['build', '-q', '-t', tag, '--build-arg', 'WHO=docker', ctx], env);
    assert.match(quiet.trim(), /^sha256:[0-9a-f]{64}$/);
  });

  test('a failing RUN fails docker build with its exit code and no image', async (t) => {
    const ctx = join(work, 'ctx-fail');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo about to fail && exit 3\n');
    const tag = `${uniqueName('failed')}:1`;
    t.after(() => d.docker(['rmi', '-f', tag]));
    const r = await d.docker(['build', '-t', tag, ctx], { env: { DOCKER_BUILDKIT: '0' } });
    assert.notEqual(r.code, 0, showResult(r));
    assert.match(r.stdout, /about to fail/);
    assert.match(r.stderr, /3/);
    const gone = await d.docker(['image', 'inspect', tag]);
    assert.notEqual(gone.code, 0);
  });

  test('docker login, push to marina registry, rmi, pull back; a missing image is docker pull error', async () => {
    const { host } = registry();
    const bad = await d.docker(['login', '-u', 'alice', '--password-stdin', host], { input: 'wrong\n' });
    assert.notEqual(bad.code, 0, showResult(bad));
    const login = await d.docker(['login', '-u', 'alice', '--password-stdin', host], {
      input: 'alice-secret\n',
    });
    assert.equal(login.code, 0, showResult(login));
    assert.match(login.stdout, /Login Succeeded/);

    const remote = `${host}/team/box:v1`;
    await ok(d, ['tag', 'busybox', remote]);
    const pushed = await ok(d, ['push', remote]);
    assert.match(pushed, new RegExp(`The push refers to repository \\[${host}/team/box\\]`));
    assert.match(pushed, /Pushed/);
    assert.match(pushed, /v1: digest: sha256:[0-9a-f]{64} size: \d+/);

    await ok(d, ['rmi', remote]);
    const pulled = await ok(d, ['pull', remote]);
    assert.match(pulled, /v1: Pulling from team\/box/);
    assert.match(pulled, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(
      pulled,
      new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${host}/team/box:v1`),
    );
    assert.match(pulled.trim().split('\n').at(-1)!, new RegExp(`^${host}/team/box:v1$`));
    const digests = await ok(d, ['image', 'inspect', remote, '-f', '{{json .RepoDigests}}']);
    assert.match(digests, new RegExp(`${host}/team/box@sha256:`));

    const missing = await d.docker(['pull', `${host}/team/nothing:1`]);
    assert.notEqual(missing.code, 0, showResult(missing));
    assert.match(missing.stderr, /Error response from daemon: .*(not found|unknown)/i);
    await ok(d, ['rmi', remote]);
  });
});
