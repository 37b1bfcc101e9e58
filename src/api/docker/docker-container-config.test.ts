import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerCreateRequest, ContainerRecord } from '../../engine/container-types.ts';
import { mergeProcessConfig } from '../../engine/process-config.ts';
import type { ImageRuntimeConfig } from '../../image/image-types.ts';
import { dockerMergedConfig } from './docker-container-config.ts';

const s = 1e9;

/** An image like `ENTRYPOINT ["/ep"] CMD ["a"] EXPOSE 80 VOLUME /data LABEL …  HEALTHCHECK …`. */
const image: ImageRuntimeConfig = {
  Entrypoint: ['/ep'],
  Cmd: ['a'],
  Env: ['PATH=/bin', 'MODE=image'],
  ExposedPorts: { '80/tcp': {} },
  Volumes: { '/data': {} },
  Labels: { tier: 'image', from: 'image' },
  WorkingDir: '/app',
  User: 'nobody',
  StopSignal: 'SIGQUIT',
  Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 30 * s, Retries: 5 },
};

/** The record the engine makes for `request` on `image`: the effective process comes from the engine's own merge. */
function created(request: Omit<ContainerCreateRequest, 'image'>, from: ImageRuntimeConfig = image): ContainerRecord {
  const full = { image: 'tiny', ...request };
  return {
    id: 'a'.repeat(64),
    name: 'c',
    created: '2026-01-01T00:00:00Z',
    image: 'tiny',
    imageId: `sha256:${'c'.repeat(64)}`,
    request: full,
    ...mergeProcessConfig(from, full),
    hostname: 'aaaaaaaaaaaa',
    mounts: [],
    networks: [],
    ports: [],
    state: {
      status: 'created',
      running: false,
      pid: 0,
      exitCode: 0,
      oomKilled: false,
      error: '',
      startedAt: '',
      finishedAt: '',
      restartCount: 0,
    },
    logPath: '/ctr.log',
  };
}

/** `from` is the image as inspect finds it: `'gone'` when it was removed after the container was created. */
const commandOf = (request: Omit<ContainerCreateRequest, 'image'>, from: ImageRuntimeConfig | 'gone' = image) => {
  const { Entrypoint, Cmd } = dockerMergedConfig(created(request, from === 'gone' ? image : from), from === 'gone' ? undefined : from);
  return { Entrypoint, Cmd };
};

test("Entrypoint and Cmd stay apart, by Docker's merge rules", () => {
  assert.deepEqual(commandOf({}), { Entrypoint: ['/ep'], Cmd: ['a'] }, 'the image as it is');
  assert.deepEqual(commandOf({ cmd: ['b'] }), { Entrypoint: ['/ep'], Cmd: ['b'] }, 'a cmd replaces the image Cmd only');
  assert.deepEqual(commandOf({ entrypoint: ['x'] }), { Entrypoint: ['x'], Cmd: null }, 'an entrypoint drops the image Cmd');
  assert.deepEqual(commandOf({ entrypoint: ['x'], cmd: ['y'] }), { Entrypoint: ['x'], Cmd: ['y'] });
  assert.deepEqual(commandOf({ entrypoint: [], cmd: ['sh'] }), { Entrypoint: null, Cmd: ['sh'] }, "--entrypoint '' clears it");
  assert.deepEqual(commandOf({ cmd: ['b'] }, { Cmd: ['a'] }), { Entrypoint: null, Cmd: ['b'] }, 'an image without an entrypoint');
});

test('with the image gone, the command comes from the process the record keeps', () => {
  assert.deepEqual(commandOf({ cmd: ['b', 'c'] }, 'gone'), { Entrypoint: ['/ep'], Cmd: ['b', 'c'] });
  assert.deepEqual(commandOf({}, 'gone'), { Entrypoint: null, Cmd: ['/ep', 'a'] });
  assert.deepEqual(commandOf({ entrypoint: ['x'], cmd: ['y'] }, 'gone'), { Entrypoint: ['x'], Cmd: ['y'] });
  const config = dockerMergedConfig(created({ env: ['A=1'], labels: { app: 'x' } }), undefined);
  assert.deepEqual(config.Labels, { app: 'x' });
  assert.equal(config.WorkingDir, '/app', 'the effective one');
  assert.ok(config.Env?.includes('A=1'));
});

test('Env: the request first, then the image variables it did not set', () => {
  assert.deepEqual(dockerMergedConfig(created({ env: ['MODE=run', 'B=2'] }), image).Env, ['MODE=run', 'B=2', 'PATH=/bin']);
  assert.deepEqual(dockerMergedConfig(created({}), image).Env, ['PATH=/bin', 'MODE=image']);
  assert.equal(dockerMergedConfig(created({ cmd: ['x'] }, {}), {}).Env, null, 'nothing set anywhere');
});

test('ports, volumes and labels are the union of image and request; the request wins a label', () => {
  const config = dockerMergedConfig(
    created({
      ports: [{ protocol: 'udp', containerPort: 53, hostPort: 5353 }],
      mounts: [
        { type: 'volume', target: '/cache' },
        { type: 'volume', name: 'named', target: '/named' },
        { type: 'bind', source: '/host', target: '/bound' },
      ],
      labels: { tier: 'run', own: 'yes' },
    }),
    image,
  );
  assert.deepEqual(config.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(config.Volumes, { '/data': {}, '/cache': {} }, 'named volumes and binds are HostConfig, not Volumes');
  assert.deepEqual(config.Labels, { tier: 'run', from: 'image', own: 'yes' });
  const bare = dockerMergedConfig(created({ cmd: ['x'] }, {}), {});
  assert.equal(bare.ExposedPorts, undefined, 'left out when empty, as Docker does');
  assert.equal(bare.Volumes, null);
  assert.deepEqual(bare.Labels, {});
});

test('WorkingDir, User and StopSignal: the request, else the image', () => {
  const fromImage = dockerMergedConfig(created({}), image);
  assert.equal(fromImage.WorkingDir, '/app');
  assert.equal(fromImage.User, 'nobody');
  assert.equal(fromImage.StopSignal, 'SIGQUIT');
  const fromRequest = dockerMergedConfig(created({ workingDir: '/w', user: '1000', stopSignal: 'SIGINT' }), image);
  assert.equal(fromRequest.WorkingDir, '/w');
  assert.equal(fromRequest.User, '1000');
  assert.equal(fromRequest.StopSignal, 'SIGINT');
  const neither = dockerMergedConfig(created({ cmd: ['x'] }, {}), {});
  assert.equal(neither.WorkingDir, '', 'Docker shows "" when nobody set one');
  assert.equal(neither.StopSignal, undefined);
});

test("Healthcheck: the image's, overridden field by field by the request's", () => {
  assert.deepEqual(dockerMergedConfig(created({}), image).Healthcheck, image.Healthcheck);
  assert.deepEqual(dockerMergedConfig(created({ healthcheck: { test: [], intervalMs: 2000 } }), image).Healthcheck, {
    Test: ['CMD-SHELL', 'true'],
    Interval: 2 * s,
    Retries: 5,
  });
  assert.deepEqual(dockerMergedConfig(created({ healthcheck: { test: ['CMD', 'ok'], timeoutMs: 1000 } }), {}).Healthcheck, {
    Test: ['CMD', 'ok'],
    Timeout: 1 * s,
  });
  assert.equal(dockerMergedConfig(created({ cmd: ['x'] }, {}), {}).Healthcheck, undefined);
});
