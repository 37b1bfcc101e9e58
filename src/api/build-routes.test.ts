/**
 * POST /v1/build over a real unix socket with a stand-in BuildService: query and header decoding into the
 * BuildRequest, the three kinds of context, the NDJSON event stream, the error line after the 200, 400s before it,
 * and the abort when the client leaves.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import type { BuildRequest, BuildService } from '../build/build-service.ts';
import type { Engine } from '../engine/services.ts';
import { MarinaError } from '../errors.ts';
import { decodeRegistryConfig, parseBuildQuery } from './build-routes.ts';
import { callApi, serveTestApi } from './test-api.ts';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const imageId = `sha256:${'c'.repeat(64)}`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Seen {
  request: BuildRequest;
  /** The tar context's bytes, read by the stand-in as a builder would. */
  contextBytes?: Buffer;
}

/** A BuildService that records what it was asked and answers by the first tag: `fail…`, `hang…` or success. */
async function withServer(t: TestContext) {
  const seen: Seen[] = [];
  let markAborted: () => void = () => {};
  const aborted = new Promise<void>((resolve) => (markAborted = resolve));
  const builds: BuildService = {
    cacheUsage: async () => [],
    async build(req, onEvent, signal) {
      const entry: Seen = { request: req };
      seen.push(entry);
      if (req.context.kind === 'tar') entry.contextBytes = await readAll(req.context.stream);
      onEvent({ type: 'step', id: '1', stage: '0', index: 1, total: 2, instruction: 'FROM busybox' });
      onEvent({ type: 'step-done', id: '1', cached: true, durationMs: 0 });
      onEvent({ type: 'step', id: '2', stage: '0', index: 2, total: 2, instruction: 'RUN false' });
      const tag = req.tags[0] ?? '';
      if (tag.startsWith('hang')) {
        await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
        markAborted();
        throw new MarinaError('Unavailable', 'aborted');
      }
      onEvent({ type: 'output', id: '2', stream: 'stderr', data: 'boom\n' });
      if (tag.startsWith('fail'))
        throw new MarinaError('BuildFailed', 'RUN false exited with 1', {
          details: { step: '2', exitCode: 1 },
        });
      onEvent({ type: 'step-done', id: '2', cached: false, durationMs: 1200 });
      return { imageId, tags: req.tags };
    },
  };
  const socketPath = await serveTestApi(t, { engine: {} as Engine, builds });
  return { socketPath, seen, aborted };
}

/** callApi sends JSON; these bodies are a tar or Dockerfile text, sent as they are. */
function postRaw(socketPath: string, path: string, body: string | Buffer, headers: Record<string, string>) {
  return new Promise<{ status: number; type?: string; text: string }>((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path, headers }, async (res) =>
      resolve({
        status: res.statusCode ?? 0,
        type: res.headers['content-type'],
        text: (await readAll(res)).toString(),
      }),
    );
    req.on('error', reject);
    req.end(body);
  });
}

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test('the query decodes into the request options; defaults when absent', () => {
  const q = new URLSearchParams();
  for (const t of ['app:1', 'localhost:5000/app:latest']) q.append('t', t);
  q.set('dockerfile', 'sub/Dockerfile');
  q.set('buildargs', JSON.stringify({ A: '1', B: '' }));
  q.set('labels', JSON.stringify({ team: 'x' }));
  q.set('target', 'build');
  q.set('nocache', '1');
  q.set('pull', 'true');
  q.set('platform', 'linux/arm64');
  q.set('network', 'none');
  assert.deepEqual(parseBuildQuery(q), {
    tags: ['app:1', 'localhost:5000/app:latest'],
    buildArgs: { A: '1', B: '' },
    labels: { team: 'x' },
    noCache: true,
    pull: true,
    network: 'none',
    dockerfile: 'sub/Dockerfile',
    target: 'build',
    platform: 'linux/arm64',
  });
  assert.deepEqual(parseBuildQuery(new URLSearchParams()), {
    tags: [],
    buildArgs: {},
    labels: {},
    noCache: false,
    pull: false,
    network: 'default',
  });
});

test('bad query values are Invalid naming the field', () => {
  const cases: [string, string | RegExp][] = [
    ['buildargs={oops', 'buildargs'],
    ['buildargs={"A":1}', 'buildargs.A'],
    ['labels=["a"]', 'labels'],
    ['network=bridge', 'network'],
    ['t=UPPER', /UPPER/],
    ['platform=linux', /platform/],
    ['contextPath=relative/dir', 'contextPath'],
    ['dockerfile=/abs/Dockerfile', 'dockerfile'],
    ['nocahce=1', 'nocahce'],
  ];
  for (const [search, expected] of cases) {
    assert.throws(
      () => parseBuildQuery(new URLSearchParams(search)),
      (err: unknown) => {
        assert.ok(err instanceof MarinaError && err.code === 'Invalid', search);
        if (typeof expected === 'string') assert.equal(err.details?.field, expected, search);
        else assert.match(err.message, expected, search);
        return true;
      },
    );
  }
  // An absolute Dockerfile is fine next to a directory on the daemon's machine.
  assert.equal(
    parseBuildQuery(new URLSearchParams('contextPath=/c&dockerfile=/d/Dockerfile')).dockerfile,
    '/d/Dockerfile',
  );
});

test('X-Registry-Config: a map of hosts to credentials, config.json auth decoded; junk is Invalid', () => {
  assert.equal(decodeRegistryConfig(undefined), undefined);
  assert.equal(decodeRegistryConfig(''), undefined);
  assert.deepEqual(
    decodeRegistryConfig(
      b64url({
        'localhost:5000': { username: 'u', password: 'p', serveraddress: 'localhost:5000' },
        'docker.io': { auth: Buffer.from('me:s:ecret').toString('base64') },
        'ghcr.io': { identitytoken: 'tok' },
        'empty.io': {},
      }),
    ),
    {
      'localhost:5000': { username: 'u', password: 'p' },
      'docker.io': { username: 'me', password: 's:ecret' },
      'ghcr.io': { identitytoken: 'tok' },
    },
  );
  for (const bad of ['not base64!', b64url('string'), Buffer.from('{oops').toString('base64url')]) {
    assert.throws(() => decodeRegistryConfig(bad), /X-Registry-Config/);
  }
});

test('a tar body is the context; events stream as JSON lines ending in the result', async (t) => {
  const { socketPath, seen } = await withServer(t);
  const tar = Buffer.from('pretend tar bytes');
  const res = await postRaw(
    socketPath,
    '/v1/build?t=app:1&dockerfile=Dockerfile.dev&buildargs=%7B%22A%22%3A%221%22%7D',
    tar,
    {
      'content-type': 'application/x-tar',
      'x-registry-config': b64url({ 'localhost:5000': { username: 'u', password: 'p' } }),
    },
  );
  assert.equal(res.status, 200);
  assert.equal(res.type, 'application/x-ndjson');
  assert.deepEqual(lines(res.text), [
    { type: 'step', id: '1', stage: '0', index: 1, total: 2, instruction: 'FROM busybox' },
    { type: 'step-done', id: '1', cached: true, durationMs: 0 },
    { type: 'step', id: '2', stage: '0', index: 2, total: 2, instruction: 'RUN false' },
    { type: 'output', id: '2', stream: 'stderr', data: 'boom\n' },
    { type: 'step-done', id: '2', cached: false, durationMs: 1200 },
    { type: 'result', imageId, tags: ['app:1'] },
  ]);
  const { request: sent, contextBytes } = seen[0]!;
  assert.equal(sent.context.kind, 'tar');
  assert.deepEqual(contextBytes, tar);
  assert.deepEqual(sent.dockerfile, { path: 'Dockerfile.dev' });
  assert.deepEqual(sent.buildArgs, { A: '1' });
  assert.deepEqual(sent.credentials, { 'localhost:5000': { username: 'u', password: 'p' } });
});

test('contextPath is a directory context; a text/plain body is the Dockerfile, with an empty context without one', async (t) => {
  const { socketPath, seen } = await withServer(t);
  await callApi(socketPath, 'POST', '/v1/build?contextPath=%2Fsrc%2Fapp&dockerfile=%2Fother%2FDockerfile');
  assert.deepEqual(seen[0]!.request.context, { kind: 'directory', path: '/src/app' });
  assert.deepEqual(seen[0]!.request.dockerfile, { path: '/other/Dockerfile' });

  const text = 'FROM busybox\nRUN echo hi\n';
  await postRaw(socketPath, '/v1/build?contextPath=%2Fsrc%2Fapp', text, {
    'content-type': 'text/plain; charset=utf-8',
  });
  assert.deepEqual(seen[1]!.request.context, { kind: 'directory', path: '/src/app' });
  assert.deepEqual(seen[1]!.request.dockerfile, { text });

  await postRaw(socketPath, '/v1/build', text, { 'content-type': 'text/plain' });
  assert.equal(seen[2]!.request.context.kind, 'tar');
  assert.deepEqual(seen[2]!.contextBytes, Buffer.alloc(1024), 'an empty tar archive');
});

test('a failed build ends the 200 stream with an error line; bad input is a 400 and builds nothing', async (t) => {
  const { socketPath, seen } = await withServer(t);
  const failed = await callApi(socketPath, 'POST', '/v1/build?t=fail:1&contextPath=%2Fc');
  assert.equal(failed.status, 200);
  const all = lines(failed.text);
  assert.deepEqual(all.at(-2), { type: 'output', id: '2', stream: 'stderr', data: 'boom\n' });
  assert.deepEqual(all.at(-1), {
    type: 'error',
    error: { code: 'BuildFailed', message: 'RUN false exited with 1', details: { step: '2', exitCode: 1 } },
  });

  const badJson = await callApi(socketPath, 'POST', '/v1/build?buildargs=%7Boops&contextPath=%2Fc');
  assert.equal(badJson.status, 400);
  assert.deepEqual(JSON.parse(badJson.text).details, { field: 'buildargs' });
  const badAuth = await callApi(socketPath, 'POST', '/v1/build?contextPath=%2Fc', {
    headers: { 'x-registry-config': 'bm90IGpzb24' },
  });
  assert.equal(badAuth.status, 400);
  const both = await postRaw(socketPath, '/v1/build?dockerfile=D', 'FROM busybox', {
    'content-type': 'text/plain',
  });
  assert.equal(both.status, 400);
  assert.equal(seen.length, 1, 'only the valid request reached the builder');
});

test('the build is aborted when the client goes away', { timeout: 5000 }, async (t) => {
  const { socketPath, aborted } = await withServer(t);
  await new Promise<void>((resolve, reject) => {
    const req = request(
      { socketPath, method: 'POST', path: '/v1/build?t=hang:1&contextPath=%2Fc' },
      (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end();
  });
  await aborted;
});
