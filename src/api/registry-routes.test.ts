/**
 * The registry routes over a real unix socket with stand-in transfer and registry: X-Registry-Auth decoding,
 * the NDJSON pull/push stream (progress, result, error line), abort when the client leaves, body validation.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { type TestContext, test } from 'node:test';
import type { Engine } from '../engine/services.ts';
import { MarinaError, notFound } from '../errors.ts';
import type { ImageRecord } from '../image/image-types.ts';
import type { ImageTransfer, PullOptions } from '../registry/client/image-transfer.ts';
import type { RegistryAccessAdmin } from '../registry/server/auth/authorizer.ts';
import type { Distribution, GcOptions } from '../registry/server/distribution.ts';
import { decodeRegistryAuth } from './registry-routes.ts';
import { callApi, serveTestApi } from './test-api.ts';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const digest = `sha256:${'a'.repeat(64)}`;

test('X-Registry-Auth: base64url and base64 JSON decode; absent is no credentials; junk is Invalid', () => {
  assert.equal(decodeRegistryAuth(undefined), undefined);
  assert.equal(decodeRegistryAuth(''), undefined);
  // A password whose base64 holds + and / tells the two alphabets apart.
  const body = { username: 'u', password: '??>>~~', serveraddress: 'localhost:5000', email: 'ignored' };
  const expected = { username: 'u', password: '??>>~~' };
  assert.deepEqual(decodeRegistryAuth(b64url(body)), expected);
  assert.deepEqual(decodeRegistryAuth(Buffer.from(JSON.stringify(body)).toString('base64')), expected);
  assert.deepEqual(decodeRegistryAuth(b64url({ identitytoken: 'rt' })), { identityToken: 'rt' });
  assert.equal(decodeRegistryAuth(b64url({ serveraddress: 'x' })), undefined);
  for (const bad of [
    'not base64!',
    b64url('a string').slice(0, 5),
    Buffer.from('{oops').toString('base64url'),
  ]) {
    assert.throws(
      () => decodeRegistryAuth(bad),
      (err: unknown) => err instanceof MarinaError && err.code === 'Invalid',
    );
  }
  assert.throws(() => decodeRegistryAuth(b64url({ username: 7 })), /X-Registry-Auth: username/);
});

interface Fixture {
  pulls: { reference: string; options: PullOptions }[];
  gc: GcOptions[];
  users: { name: string; password: string; pullOnly?: boolean }[];
  /** Set to make the next pull wait until its signal aborts. */
  hangPull: boolean;
  aborted: Promise<void>;
}

async function withServer(t: TestContext): Promise<{ socketPath: string; fixture: Fixture }> {
  let markAborted: () => void = () => {};
  const fixture: Fixture = {
    pulls: [],
    gc: [],
    users: [],
    hangPull: false,
    aborted: new Promise((resolve) => (markAborted = resolve)),
  };
  const transfer: ImageTransfer = {
    async pull(reference, options = {}) {
      fixture.pulls.push({ reference, options });
      if (fixture.hangPull) {
        options.onProgress?.({ id: 'abc', status: 'Downloading', current: 1, total: 2 });
        await new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve()));
        markAborted();
        throw new MarinaError('Unavailable', 'aborted');
      }
      if (reference.includes('missing')) throw notFound(`manifest unknown: ${reference}`);
      options.onProgress?.({ status: 'Pulling from library/busybox' });
      options.onProgress?.({ id: 'abc', status: 'Downloading', current: 5, total: 10 });
      return { image: { id: 'sha256:img' } as unknown as ImageRecord, digest };
    },
    async push() {
      return { digest, size: 527 };
    },
    async login(server, credentials) {
      if (credentials.password !== 'right')
        throw new MarinaError('Unauthorized', `wrong password for ${server}`);
      return { status: 'Login Succeeded' };
    },
  };
  const access = {
    async addUser(name: string, password: string, options?: { pullOnly?: boolean }) {
      fixture.users.push({ name, password, pullOnly: options?.pullOnly });
      return { name, pullOnly: Boolean(options?.pullOnly), created: '2024-01-01T00:00:00Z' };
    },
    async listUsers() {
      return [];
    },
  } as unknown as RegistryAccessAdmin;
  const distribution = {
    async collectGarbage(options: GcOptions) {
      fixture.gc.push(options);
      return { blobLinksRemoved: 0, manifestsRemoved: 0, blobsRemoved: 0, reclaimedBytes: 0 };
    },
  } as unknown as Distribution;
  const engine = {
    images: {
      inspect: async (name: string) => {
        if (name !== 'localhost:5000/app:1') throw notFound(`no such image: ${name}`);
        return {};
      },
    },
  } as unknown as Engine;
  const socketPath = await serveTestApi(t, { engine, transfer, registry: { distribution, access } });
  return { socketPath, fixture };
}

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test('pull streams progress lines and a result, with the decoded credentials and platform', async (t) => {
  const { socketPath, fixture } = await withServer(t);
  const auth = b64url({ username: 'u', password: 'p', serveraddress: 'docker.io' });
  const res = await callApi(socketPath, 'POST', '/v1/images/pull?ref=busybox&platform=linux/arm64', {
    headers: { 'x-registry-auth': auth },
  });
  assert.equal(res.status, 200);
  assert.equal(res.type, 'application/x-ndjson');
  assert.deepEqual(lines(res.text), [
    { progress: { status: 'Pulling from library/busybox' } },
    { progress: { id: 'abc', status: 'Downloading', current: 5, total: 10 } },
    { result: { reference: 'docker.io/library/busybox:latest', digest, id: 'sha256:img' } },
  ]);
  assert.equal(fixture.pulls[0]!.reference, 'busybox');
  assert.deepEqual(fixture.pulls[0]!.options.credentials, { username: 'u', password: 'p' });
  assert.equal(fixture.pulls[0]!.options.platform, 'linux/arm64');
});

test('a failure after the stream started is the last line; bad input is a plain 400 before it', async (t) => {
  const { socketPath, fixture } = await withServer(t);
  const failed = await callApi(socketPath, 'POST', '/v1/images/pull?ref=missing');
  assert.equal(failed.status, 200);
  assert.deepEqual(lines(failed.text).at(-1), { code: 'NotFound', message: 'manifest unknown: missing' });
  for (const path of [
    '/v1/images/pull',
    '/v1/images/pull?ref=UPPER',
    '/v1/images/pull?ref=busybox&platform=linux',
  ]) {
    const res = await callApi(socketPath, 'POST', path);
    assert.equal(res.status, 400, path);
    assert.equal(JSON.parse(res.text).code, 'Invalid', path);
  }
  const badAuth = await callApi(socketPath, 'POST', '/v1/images/pull?ref=busybox', {
    headers: { 'x-registry-auth': 'bm90IGpzb24' },
  });
  assert.equal(badAuth.status, 400);
  assert.match(JSON.parse(badAuth.text).message, /X-Registry-Auth/);
  assert.equal(fixture.pulls.length, 1, 'no transfer started for bad input');
});

test('push of a missing image is a 404; of a present one a stream ending in the digest', async (t) => {
  const { socketPath } = await withServer(t);
  const missing = await callApi(socketPath, 'POST', '/v1/images/push?ref=localhost:5000/nope:1');
  assert.equal(missing.status, 404);
  const pushed = await callApi(socketPath, 'POST', '/v1/images/push?ref=localhost:5000/app:1');
  assert.deepEqual(lines(pushed.text), [
    { result: { reference: 'localhost:5000/app:1', digest, size: 527 } },
  ]);
});

test('the transfer is aborted when the client goes away', { timeout: 5000 }, async (t) => {
  const { socketPath, fixture } = await withServer(t);
  fixture.hangPull = true;
  await new Promise<void>((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/v1/images/pull?ref=busybox' }, (res) => {
      // The first progress line shows the transfer is under way; then leave.
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end();
  });
  await fixture.aborted;
});

test('login, users and gc validate their input and pass it on', async (t) => {
  const { socketPath, fixture } = await withServer(t);
  const ok = await callApi(socketPath, 'POST', '/v1/auth', {
    body: { serveraddress: 'localhost:5000', username: 'u', password: 'right' },
  });
  assert.deepEqual(
    { status: ok.status, body: JSON.parse(ok.text) },
    { status: 200, body: { status: 'Login Succeeded' } },
  );
  const wrong = await callApi(socketPath, 'POST', '/v1/auth', {
    body: { serveraddress: 'localhost:5000', username: 'u', password: 'wrong' },
  });
  assert.equal(wrong.status, 401);
  const noServer = await callApi(socketPath, 'POST', '/v1/auth', { body: { username: 'u', password: 'p' } });
  assert.equal(noServer.status, 400);
  assert.deepEqual(JSON.parse(noServer.text).details, { field: 'serveraddress' });

  const added = await callApi(socketPath, 'POST', '/v1/registry/users', {
    body: { name: 'ci', password: 'secret', pullOnly: true },
  });
  assert.equal(added.status, 201);
  assert.deepEqual(fixture.users, [{ name: 'ci', password: 'secret', pullOnly: true }]);
  const typo = await callApi(socketPath, 'POST', '/v1/registry/users', {
    body: { name: 'x', password: 'y', pullonly: true },
  });
  assert.equal(typo.status, 400);

  await callApi(socketPath, 'POST', '/v1/registry/gc');
  await callApi(socketPath, 'POST', '/v1/registry/gc?minAge=0&untagged=1&dryRun=1');
  assert.deepEqual(fixture.gc, [
    { minAgeSeconds: 600, untagged: false, dryRun: false },
    { minAgeSeconds: 0, untagged: true, dryRun: true },
  ]);
  assert.equal((await callApi(socketPath, 'POST', '/v1/registry/gc?minAge=-1')).status, 400);
});
