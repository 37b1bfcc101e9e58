/**
 * The real docker CLI (28.2.2) against marinad: `docker inspect` shows Config as dockerd does (the image's
 * config merged with the create request, Entrypoint and Cmd kept apart), the fields scripts template, and
 * `docker rename` of a running container renames it in its network's DNS.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { showResult, type TestDaemon, uniqueName, useDaemon } from './harness.ts';

/** Set by the suite below, whose hooks start the daemon before the image is built. */
let d: TestDaemon;


const ok = (args: string[], env?: Record<string, string>) => d.dockerOk(args, env ? { env } : {});

type Cleanup = { after: (fn: () => Promise<unknown>) => void };

/** `docker create` (or `run -d`) with a name, removed when the test ends, pass or fail. */
async function container(t: Cleanup, verb: 'create' | 'run', args: string[]): Promise<string> {
  const name = uniqueName('insp');
  t.after(() => d.docker(['rm', '-f', name]));
  await ok([...(verb === 'run' ? ['run', '-d'] : ['create']), '--name', name, ...args]);
  return name;
}

const inspect = async (name: string, format: string) => (await ok(['inspect', '-f', format, name])).trim();
const configOf = async (name: string) => JSON.parse(await inspect(name, '{{json .Config}}')) as Record<string, unknown>;

describe('docker inspect and rename', () => {
  d = useDaemon();

  const tinyImage = `${uniqueName('tiny')}:1`;
  let contextDir: string;

  before(async () => {
    contextDir = await mkdtemp(join(tmpdir(), 'marina-inspect-'));
    await writeFile(
      join(contextDir, 'Dockerfile'),
      [
        'FROM busybox',
        'ENV MODE=image',
        'WORKDIR /app',
        'EXPOSE 8080',
        'VOLUME /data',
        'LABEL tier=image from=image',
        'HEALTHCHECK --interval=30s --retries=5 CMD true',
        'ENTRYPOINT ["/bin/echo"]',
        'CMD ["a"]',
        '',
      ].join('\n'),
    );
    await ok(['build', '-q', '-t', tinyImage, contextDir], { DOCKER_BUILDKIT: '0' });
  });

  after(async () => {
    await d.docker(['rmi', '-f', tinyImage]);
    await rm(contextDir, { recursive: true, force: true });
  });

  test("Entrypoint and Cmd: the image's, kept apart, and replaced by Docker's rules", async (t) => {
    const command = async (args: string[]) => {
      const name = await container(t, 'create', args);
      return inspect(name, '{{json .Config.Entrypoint}} {{json .Config.Cmd}}');
    };
    assert.equal(await command([tinyImage]), '["/bin/echo"] ["a"]');
    assert.equal(await command([tinyImage, 'b']), '["/bin/echo"] ["b"]', 'a command replaces the Cmd only');
    assert.equal(await command(['--entrypoint', '/bin/true', tinyImage]), '["/bin/true"] null', "--entrypoint drops the image's Cmd");
    assert.equal(await command(['--entrypoint', '/bin/sh', tinyImage, '-c', 'x']), '["/bin/sh"] ["-c","x"]');
    assert.equal(await command(['--entrypoint', '', tinyImage, 'echo', 'x']), 'null ["echo","x"]', "--entrypoint '' clears it");
  });

  test('Config merges the image with the request: ports, volumes, labels, env, healthcheck, workdir', async (t) => {
    const plain = await configOf(await container(t, 'create', [tinyImage]));
    assert.deepEqual(plain.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(plain.Volumes, { '/data': {} });
    assert.deepEqual(plain.Labels, { from: 'image', tier: 'image' });
    assert.deepEqual(plain.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 30e9, Retries: 5 });
    assert.equal(plain.WorkingDir, '/app');
    assert.ok((plain.Env as string[]).includes('MODE=image'), String(plain.Env));

    const merged = await configOf(
      await container(t, 'create', [
        '-p', '127.0.0.1::9090',
        '-v', '/cache',
        '--label', 'tier=run',
        '-e', 'MODE=run',
        '--health-interval', '2s',
        '-w', '/work',
        '-u', 'nobody',
        tinyImage,
      ]),
    );
    assert.deepEqual(merged.ExposedPorts, { '8080/tcp': {}, '9090/tcp': {} });
    assert.deepEqual(merged.Volumes, { '/cache': {}, '/data': {} });
    assert.deepEqual(merged.Labels, { from: 'image', tier: 'run' }, 'the request wins a label the image also has');
    assert.equal((merged.Env as string[])[0], 'MODE=run', 'the request first, the image variables it did not set after');
    assert.ok(!(merged.Env as string[]).includes('MODE=image'));
    assert.deepEqual(merged.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Retries: 5 }, 'field by field');
    assert.equal(merged.WorkingDir, '/work');
    assert.equal(merged.User, 'nobody');
  });

  const scriptFormat =
    '{{.Config.Image}} {{.Image}} {{.State.Status}} {{.State.Pid}} {{.NetworkSettings.IPAddress}} {{json .NetworkSettings.Ports}} {{.HostConfig.RestartPolicy.Name}}';

  test('the fields scripts template have Docker formats, created and running', async (t) => {
    const imageId = (await ok(['image', 'inspect', '-f', '{{.Id}}', tinyImage])).trim();
    assert.match(imageId, /^sha256:[0-9a-f]{64}$/);

    const created = await container(t, 'create', ['-p', '127.0.0.1::8080', tinyImage]);
    assert.equal(await inspect(created, scriptFormat), `${tinyImage} ${imageId} created 0  {} no`);

    const running = await container(t, 'run', ['-p', '127.0.0.1::8080', '--restart', 'always', '--entrypoint', 'sleep', tinyImage, '600']);
    const [image, id, status, pid, ip, ports, policy, ...rest] = (await inspect(running, scriptFormat)).split(' ');
    assert.deepEqual([image, id, status, policy, rest], [tinyImage, imageId, 'running', 'always', []]);
    assert.ok(Number(pid) > 0, `pid ${pid}`);
    assert.match(ip ?? '', /^\d+\.\d+\.\d+\.\d+$/, 'on the default bridge');
    const bound = JSON.parse(ports ?? '') as Record<string, { HostIp: string; HostPort: string }[] | null>;
    assert.deepEqual(Object.keys(bound), ['8080/tcp']);
    assert.equal(bound['8080/tcp']?.[0]?.HostIp, '127.0.0.1');
    assert.match(bound['8080/tcp']?.[0]?.HostPort ?? '', /^\d+$/);
  });

  test('on a user network the top-level IPAddress is empty, as Docker leaves it; the network has the address', async (t) => {
    const net = uniqueName('inspnet');
    t.after(() => d.docker(['network', 'rm', net]));
    await ok(['network', 'create', net]);
    const name = await container(t, 'run', ['--network', net, '--entrypoint', 'sleep', tinyImage, '600']);
    assert.equal(await inspect(name, '{{.NetworkSettings.IPAddress}}'), '');
    assert.match(await inspect(name, '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'), /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(await inspect(name, '{{json .NetworkSettings.Ports}}'), '{"8080/tcp":null}', 'exposed, not published');
  });

  test('rename of a running container: its network DNS answers the new name, no longer the old one', async (t) => {
    const net = uniqueName('rennet');
    const first = uniqueName('first');
    const renamed = uniqueName('renamed');
    const other = uniqueName('other');
    t.after(() => d.docker(['network', 'rm', net]));
    t.after(() => d.docker(['rm', '-f', first, renamed, other]));
    await ok(['network', 'create', net]);
    await ok(['run', '-d', '--name', first, '--network', net, 'busybox', 'sleep', '600']);
    await ok(['run', '-d', '--name', other, '--network', net, 'busybox', 'sleep', '600']);
    const ip = await inspect(first, `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`);
    assert.match(await ok(['exec', other, 'nslookup', first]), new RegExp(`Address: ${ip.replaceAll('.', '\\.')}\\b`));

    await ok(['rename', first, renamed]);
    const lookup = await d.docker(['exec', other, 'nslookup', renamed]);
    assert.equal(lookup.code, 0, showResult(lookup));
    assert.match(lookup.stdout, new RegExp(`Address: ${ip.replaceAll('.', '\\.')}\\b`));
    const old = await d.docker(['exec', other, 'nslookup', first]);
    assert.notEqual(old.code, 0, `the old name no longer resolves: ${showResult(old)}`);
    const dnsNames = JSON.parse(await inspect(renamed, `{{json (index .NetworkSettings.Networks "${net}").DNSNames}}`)) as string[];
    assert.ok(dnsNames.includes(renamed) && !dnsNames.includes(first), String(dnsNames));
  });
});
