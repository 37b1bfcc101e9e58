/**
 * docker-compose 1.29 (Debian, docker-py 5) against marinad's Docker socket, unmodified: a two-service
 * project on a user network with a named volume, a published port, environment, depends_on, a healthcheck
 * and a built service, through up, ps, logs, exec, restart, scale, pull, build and down -v. The services
 * find each other by service name through the network's DNS. Images come from the store, and `pull` goes
 * to marina's own registry on loopback: nothing here reaches any other registry.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliResult, eventually, runProcess, uniqueName } from './harness.ts';
import { freePort, useRegistryDaemon } from './registry-fixtures.ts';

/** What the web service serves; the worker fetches it from `http://web/` and prints it. */
const page = 'hello-from-web';

function composeFile(image: string, port: number, builtImage: string): string {
  // JSON is YAML: no YAML writer needed. Commands are lists so that no shell quoting is involved; `$$` is
  // compose's escape for a `$` the container's shell expands.
  return JSON.stringify(
    {
      version: '3.8',
      services: {
        web: {
          image,
          command: [
            'sh',
            '-c',
            `mkdir -p /www && echo ${page} > /www/index.html && echo "$$GREETING" > /data/greeting && exec httpd -f -p 80 -h /www`,
          ],
          environment: { GREETING: 'hi-from-env' },
          ports: [`127.0.0.1:${port}:80`],
          volumes: ['data:/data'],
          networks: ['backend'],
          healthcheck: {
            test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1/'],
            interval: '1s',
            timeout: '2s',
            retries: 20,
          },
        },
        worker: {
          image,
          // Retries until web's DNS name and httpd answer, prints the page once, then stays up.
          command: ['sh', '-c', 'until wget -qO- http://web/; do sleep 0.3; done; exec sleep 3600'],
          depends_on: ['web'],
          networks: ['backend'],
        },
        built: {
          build: { context: './app' },
          image: builtImage,
          networks: ['backend'],
        },
      },
      networks: { backend: {} },
      volumes: { data: {} },
    },
    null,
    2,
  );
}

describe('docker-compose against marinad', () => {
  const registry = useRegistryDaemon();
  const project = uniqueName('cmp');
  let work: string;
  let file: string;
  let port: number;
  let image: string;
  /** Named under the loopback registry: should anything try to pull it, it stays on this machine. */
  let builtImage: string;

  function compose(args: string[], timeoutMs = 120_000): Promise<CliResult> {
    return runProcess('docker-compose', ['-p', project, '-f', file, '--ansi', 'never', ...args], {
      timeoutMs,
      env: {
        DOCKER_HOST: `unix://${registry().daemon.dockerSocket}`,
        DOCKER_CONFIG: join(work, 'docker-config'),
        // compose's classic build goes through POST /build, not the docker CLI.
        COMPOSE_DOCKER_CLI_BUILD: '0',
        DOCKER_BUILDKIT: '0',
      },
    });
  }

  async function composeOk(args: string[]): Promise<CliResult> {
    const r = await compose(args);
    assert.equal(
      r.code,
      0,
      `docker-compose ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nmarinad:\n${registry().daemon.logs().slice(-3000)}`,
    );
    return r;
  }

  /** Names of this project's containers as the docker CLI lists them, sorted. */
  async function projectContainers(all = false): Promise<string[]> {
    const r = await registry().daemon.docker([
      'ps',
      ...(all ? ['-a'] : []),
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--format',
      '{{.Names}}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  before(async () => {
    const { daemon, host } = registry();
    work = await mkdtemp(join(tmpdir(), 'marina-compose-'));
    port = await freePort();
    // busybox under a name in marina's own registry, pushed there so `compose pull` has somewhere local to look.
    const marinaConfig = { env: { MARINA_CONFIG: join(work, 'marina-config') } };
    await daemon.ok(['registry', 'user', 'add', 'compose', '--password-stdin'], {
      input: 'compose-secret\n',
    });
    await daemon.ok(['registry', 'anonymous-pull', 'add', '*']);
    await daemon.ok(['login', '-u', 'compose', '--password-stdin', host], {
      ...marinaConfig,
      input: 'compose-secret\n',
    });
    image = `${host}/library/busybox:latest`;
    builtImage = `${host}/${project}-built:latest`;
    await daemon.ok(['tag', 'busybox', image]);
    await daemon.ok(['push', image], marinaConfig);

    await mkdir(join(work, 'app'));
    await writeFile(
      join(work, 'app', 'Dockerfile'),
      'FROM busybox:latest\nRUN echo built-by-compose > /built.txt\nCMD ["sh", "-c", "cat /built.txt; exec sleep 3600"]\n',
    );
    file = join(work, 'docker-compose.yml');
    await writeFile(file, composeFile(image, port, builtImage));
  });

  after(async () => {
    // Whatever a failed test left: compose's own cleanup first, then the directory.
    if (file) await compose(['down', '-v', '--timeout', '1']).catch(() => {});
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('up -d builds the missing image, creates network and volume, starts in depends_on order', async () => {
    const up = await composeOk(['up', '-d']);
    const said = up.stdout + up.stderr;
    for (const service of ['web', 'worker', 'built']) {
      assert.match(said, new RegExp(`Creating ${project}_${service}_1 .*done`), said);
    }
    assert.match(said, new RegExp(`Creating network "${project}_backend"`), said);
    assert.match(said, new RegExp(`Creating volume "${project}_data"`), said);
    assert.deepEqual(await projectContainers(), [
      `${project}_built_1`,
      `${project}_web_1`,
      `${project}_worker_1`,
    ]);
    const volume = await registry().daemon.docker([
      'volume',
      'inspect',
      '--format',
      '{{.Name}} {{.Driver}}',
      `${project}_data`,
    ]);
    assert.equal(volume.stdout.trim(), `${project}_data local`, volume.stderr);
  });

  test('the published port answers from the host; the healthcheck turns healthy; ps shows it', async () => {
    const body = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        return res.ok ? res.text() : undefined;
      },
      20_000,
      'the published port',
    );
    assert.equal(body.trim(), page);
    const ps = await eventually(
      async () => {
        const r = await composeOk(['ps']);
        return /Up \(healthy\)/.test(r.stdout) ? r.stdout : undefined;
      },
      30_000,
      'web healthy in compose ps',
    );
    assert.match(ps, new RegExp(`${project}_web_1 .*Up \\(healthy\\).*127\\.0\\.0\\.1:${port}->80/tcp`));
    assert.match(ps, new RegExp(`${project}_worker_1 .*Up`));
  });

  test('the worker reached web by service name; logs show each service', async () => {
    const logs = await eventually(
      async () => {
        const r = await composeOk(['logs', '--no-color', 'worker', 'built']);
        return r.stdout.includes(page) && r.stdout.includes('built-by-compose') ? r.stdout : undefined;
      },
      20_000,
      'the worker and built logs',
    );
    assert.match(logs, new RegExp(`worker_1 +\\| ${page}`));
    assert.match(logs, /built_1 +\| built-by-compose/);
  });

  test('exec -T runs in the service container with its environment and volume', async () => {
    const env = await composeOk(['exec', '-T', 'web', 'sh', '-c', 'echo "$GREETING"; cat /data/greeting']);
    assert.equal(env.stdout, 'hi-from-env\nhi-from-env\n');
    const byName = await composeOk(['exec', '-T', 'worker', 'wget', '-qO-', 'http://web/']);
    assert.equal(byName.stdout.trim(), page);
    const failing = await compose(['exec', '-T', 'web', 'sh', '-c', 'exit 3']);
    assert.equal(failing.code, 3, failing.stderr);
  });

  test('restart restarts the service; the volume keeps its data', async () => {
    const before = await registry().daemon.docker([
      'inspect',
      '--format',
      '{{.State.StartedAt}}',
      `${project}_web_1`,
    ]);
    const r = await composeOk(['restart', '-t', '1', 'web']);
    assert.match(r.stdout + r.stderr, new RegExp(`Restarting ${project}_web_1 .*done`));
    const after = await registry().daemon.docker([
      'inspect',
      '--format',
      '{{.State.Running}} {{.State.StartedAt}}',
      `${project}_web_1`,
    ]);
    const [running, startedAt] = after.stdout.trim().split(' ');
    assert.equal(running, 'true', after.stderr);
    assert.notEqual(startedAt, before.stdout.trim(), 'StartedAt moves on restart');
    const data = await composeOk(['exec', '-T', 'web', 'cat', '/data/greeting']);
    assert.equal(data.stdout, 'hi-from-env\n');
  });

  test('up -d --scale worker=2 adds a second worker and leaves the rest alone', async () => {
    const r = await composeOk(['up', '-d', '--scale', 'worker=2']);
    assert.match(r.stdout + r.stderr, new RegExp(`Creating ${project}_worker_2 .*done`));
    assert.doesNotMatch(r.stdout + r.stderr, /Recreating/);
    assert.deepEqual(await projectContainers(), [
      `${project}_built_1`,
      `${project}_web_1`,
      `${project}_worker_1`,
      `${project}_worker_2`,
    ]);
    const second = await eventually(
      async () => {
        const logs = await composeOk(['logs', '--no-color', 'worker']);
        return new RegExp(`worker_2 +\\| ${page}`).test(logs.stdout) ? logs.stdout : undefined;
      },
      20_000,
      'worker_2 reaching web',
    );
    assert.ok(second);
  });

  test('pull finds the images already present, from the local registry', async () => {
    // Named services only: compose 1.29 would pull the built service's image too, which no registry has.
    const r = await composeOk(['pull', 'web', 'worker']);
    const said = r.stdout + r.stderr;
    assert.match(said, /Pulling web +\.\.\. done/);
    assert.match(said, /Pulling worker +\.\.\. done/);
    assert.match(said, /image is up to date/i);
    assert.doesNotMatch(said, /error/i, said);
  });

  test('build rebuilds the built service through POST /build', async () => {
    const r = await composeOk(['build', 'built']);
    assert.match(r.stdout, /Step 1\/3 : FROM busybox:latest/);
    assert.match(r.stdout, /Successfully built [0-9a-f]{12}/);
    assert.match(r.stdout, new RegExp(`Successfully tagged ${builtImage}`));
  });

  test('down -v removes the containers, the network and the volume', async () => {
    const r = await composeOk(['down', '-v', '--timeout', '1']);
    const said = r.stdout + r.stderr;
    assert.match(said, new RegExp(`Removing network ${project}_backend`));
    assert.match(said, new RegExp(`Removing volume ${project}_data`));
    assert.deepEqual(await projectContainers(true), []);
    const network = await registry().daemon.docker(['network', 'inspect', `${project}_backend`]);
    assert.notEqual(network.code, 0);
    assert.match(network.stderr, /not found|No such network/i);
    const volume = await registry().daemon.docker(['volume', 'inspect', `${project}_data`]);
    assert.notEqual(volume.code, 0);
    assert.match(volume.stderr, /No such volume/);
  });
});
