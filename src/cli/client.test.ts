import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DaemonError, errorFromBody, pathWithQuery, socketPathOf } from './client.ts';
import { displayRepoTag } from './image-commands.ts';

test('query strings: flags as 1, false and undefined left out, lists repeated', () => {
  assert.equal(
    pathWithQuery('/v1/containers', { all: true, quiet: false, t: undefined }),
    '/v1/containers?all=1',
  );
  assert.equal(
    pathWithQuery('/v1/images/save', { names: ['a:1', 'b/c'] }),
    '/v1/images/save?names=a%3A1&names=b%2Fc',
  );
  assert.equal(pathWithQuery('/v1/version'), '/v1/version');
});

test('daemon errors keep the code and message of the body', () => {
  const err = errorFromBody(404, '{"code":"NotFound","message":"no such container: x"}');
  assert.ok(err instanceof DaemonError);
  assert.equal(err.code, 'NotFound');
  assert.equal(err.message, 'no such container: x');
  assert.equal(errorFromBody(503, 'gateway down').code, 'Unavailable');
});

test('only unix hosts', () => {
  assert.equal(socketPathOf('unix:///run/m.sock'), '/run/m.sock');
  assert.throws(() => socketPathOf('tcp://1.2.3.4:2375'), /unix:\/\/\/path/);
});

test('image names shown the docker way', () => {
  assert.deepEqual(displayRepoTag('docker.io/library/busybox:latest'), ['busybox', 'latest']);
  assert.deepEqual(displayRepoTag('localhost:5000/team/app:v1'), ['localhost:5000/team/app', 'v1']);
  assert.deepEqual(displayRepoTag('localhost:5000/app'), ['localhost:5000/app', 'latest']);
});
