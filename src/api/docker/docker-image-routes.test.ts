import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dockerRemoveConflict,
  parseDockerBuildQuery,
  pullReference,
  registryHostOf,
} from './docker-image-routes.ts';

test('fromImage and tag make one reference; a digest tag joins with @', () => {
  assert.equal(pullReference('docker.io/library/busybox', 'latest'), 'docker.io/library/busybox:latest');
  assert.equal(pullReference('busybox', `sha256:${'a'.repeat(64)}`), `busybox@sha256:${'a'.repeat(64)}`);
  assert.equal(pullReference('busybox:1', null), 'busybox:1');
});

test('the login server address is reduced to host[:port]', () => {
  assert.equal(registryHostOf('127.0.0.1:5000'), '127.0.0.1:5000');
  assert.equal(registryHostOf('https://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(registryHostOf('https://index.docker.io/v1/'), 'index.docker.io');
});

test('the classic build query: tags, Dockerfile, build args (null ones dropped), network mode, flags', () => {
  const q = new URLSearchParams(
    'dockerfile=sub%2FDockerfile&t=a%3A1&t=b&version=1&rm=1&nocache=1&pull=1&q=1&networkmode=bridge&target=build' +
      `&buildargs=${encodeURIComponent('{"A":"1","B":null}')}&labels=${encodeURIComponent('{"x":"y"}')}`,
  );
  assert.deepEqual(parseDockerBuildQuery(q), {
    dockerfile: { path: 'sub/Dockerfile' },
    tags: ['a:1', 'b'],
    buildArgs: { A: '1' },
    labels: { x: 'y' },
    noCache: true,
    pull: true,
    network: 'default',
    target: 'build',
  });
  assert.deepEqual(parseDockerBuildQuery(new URLSearchParams('')).dockerfile, { path: 'Dockerfile' });
  assert.throws(
    () => parseDockerBuildQuery(new URLSearchParams('networkmode=container:x')),
    /network mode "container:x"/,
  );
  assert.throws(() => parseDockerBuildQuery(new URLSearchParams('t=UPPER')), /Invalid|invalid/);
  assert.throws(
    () => parseDockerBuildQuery(new URLSearchParams('buildargs=nope')),
    /buildargs must be a JSON object/,
  );
  assert.throws(
    () => parseDockerBuildQuery(new URLSearchParams('remote=https://x/y.git')),
    /remote build context/,
  );
});

test('rmi conflicts in Docker words: by name the repository reference, by ID the image', () => {
  const id = `sha256:${'c'.repeat(64)}`;
  assert.match(
    dockerRemoveConflict('busybox', id),
    /^conflict: unable to remove repository reference "busybox" \(must force\)/,
  );
  assert.match(
    dockerRemoveConflict('cccc', id),
    /^conflict: unable to delete cccccccccccc \(must be forced\)/,
  );
});
