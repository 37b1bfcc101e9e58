/**
 * The API layer over a real unix socket, with a stand-in engine: status mapping, validation, the wait
 * contract (headers before the exit), the hijacked stdio stream in both directions, and a stdio route
 * that is also served without Upgrade.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import type { AttachedStdio, Engine } from '../engine/services.ts';
import { notFound } from '../errors.ts';
import { type ApiContext, type Route, upgrade } from './api-types.ts';
import { errorResponse } from './http-io.ts';
import { Router } from './router.ts';
import { createRoutedServer } from './server.ts';
import { FrameDecoder } from './stdio-framing.ts';
import { callApi, jsonOf, serveTestApi } from './test-api.ts';

function standInEngine() {
  let exit: (code: number) => void = () => {};
  const stdin = new PassThrough();
  const output = new PassThrough({ objectMode: true });
  const containers = {
    inspect: async (id: string) => {
      if (id !== 'c1') throw notFound(`no such container: ${id}`);
      return { id: 'c1' };
    },
    wait: () => new Promise<{ exitCode: number }>((resolve) => (exit = (exitCode) => resolve({ exitCode }))),
    attach: async (): Promise<AttachedStdio> => ({ output, input: stdin, tty: false, close: () => {} }),
  };
  return { engine: { containers } as unknown as Engine, exit: (code: number) => exit(code), stdin, output };
}

function withServer(t: import('node:test').TestContext, engine: Engine) {
  return serveTestApi(t, { engine });
}

async function call(socketPath: string, method: string, path: string, body?: unknown) {
  const answer = await callApi(socketPath, method, path, {
    body,
    headers: { 'content-type': 'application/json' },
  });
  return { status: answer.status, json: jsonOf(answer) };
}

test('errors carry the status of their code and a {code, message} body', async (t) => {
  const socketPath = await withServer(t, standInEngine().engine);
  assert.deepEqual(await call(socketPath, 'GET', '/v1/containers/nope'), {
    status: 404,
    json: { code: 'NotFound', message: 'no such container: nope' },
  });
  const unknown = await call(socketPath, 'GET', '/v2/whatever');
  assert.equal(unknown.status, 404);
  assert.equal((unknown.json as { code: string }).code, 'NotFound');
  const bad = await call(socketPath, 'POST', '/v1/containers', { image: 'busybox', tty: 'yes' });
  assert.equal(bad.status, 400);
  assert.deepEqual((bad.json as { details: unknown }).details, { field: 'tty' });
});

test('wait sends its headers before the container exits, and the exit code after', async (t) => {
  const stand = standInEngine();
  const socketPath = await withServer(t, stand.engine);
  const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
    request(
      { socketPath, method: 'POST', path: '/v1/containers/c1/wait?condition=next-exit' },
      resolve,
    ).end(),
  );
  assert.equal(res.statusCode, 200);
  stand.exit(42);
  let text = '';
  for await (const chunk of res) text += chunk;
  assert.deepEqual(JSON.parse(text), { exitCode: 42 });
});

test('attach upgrades, frames output by stream, forwards stdin and its EOF', async (t) => {
  const stand = standInEngine();
  const socketPath = await withServer(t, stand.engine);
  const { socket, contentType } = await new Promise<{ socket: Socket; contentType: string | undefined }>(
    (resolve, reject) => {
      const req = request({
        socketPath,
        method: 'POST',
        path: '/v1/containers/c1/attach?stdin=1',
        headers: { connection: 'Upgrade', upgrade: 'tcp' },
      });
      req.on('upgrade', (res, s) =>
        resolve({ socket: s as Socket, contentType: res.headers['content-type'] }),
      );
      req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
      req.end();
    },
  );
  assert.equal(contentType, 'application/vnd.docker.multiplexed-stream');

  const received: Buffer[] = [];
  stand.stdin.on('data', (b: Buffer) => received.push(b));
  const stdinEnded = new Promise((r) => stand.stdin.once('end', r));
  socket.end('hello');
  await stdinEnded;
  assert.equal(Buffer.concat(received).toString(), 'hello');

  stand.output.write({ stream: 'stdout', data: Buffer.from('out') });
  stand.output.end({ stream: 'stderr', data: Buffer.from('err') });
  const decoder = new FrameDecoder();
  const frames = [];
  for await (const chunk of socket) frames.push(...decoder.push(chunk as Buffer));
  assert.deepEqual(
    frames.map((f) => [f.stream, f.data.toString()]),
    [
      ['stdout', 'out'],
      ['stderr', 'err'],
    ],
  );
});

test('a stdio route without Upgrade is refused', async (t) => {
  const socketPath = await withServer(t, standInEngine().engine);
  const res = await call(socketPath, 'POST', '/v1/containers/c1/attach');
  assert.equal(res.status, 400);
});

test('import passes each repeated change whole, commas included', async (t) => {
  let seen: unknown;
  const images = {
    import: async (body: NodeJS.ReadableStream, reference: string, options: unknown) => {
      for await (const _ of body);
      seen = { reference, options };
      return { id: 'sha256:x' };
    },
  };
  const socketPath = await withServer(t, { images } as unknown as Engine);
  const change = 'CMD ["sh","-c","true"]';
  const res = await call(
    socketPath,
    'POST',
    `/v1/images/import?ref=imp:1&changes=${encodeURIComponent(change)}&changes=ENV%20A%3D1`,
  );
  assert.equal(res.status, 201);
  assert.deepEqual(seen, {
    reference: 'imp:1',
    options: { changes: [change, 'ENV A=1'], message: undefined },
  });
});

/** Serves one stdio route that accepts plain requests: `/detached` opens nothing, `/stream` the given stdio. */
async function servePlainStdio(t: import('node:test').TestContext, stdio: AttachedStdio) {
  const opened: boolean[] = [];
  const router = new Router<Route>().add(
    'POST',
    '/:what',
    upgrade(
      async ({ params, hijacked }) => {
        opened.push(hijacked);
        return params.what === 'stream' ? stdio : undefined;
      },
      { acceptsPlain: true },
    ),
  );
  const dir = mkdtempSync(join(tmpdir(), 'marina-api-'));
  const socketPath = join(dir, 'api.sock');
  const ctx = { logger: pino({ level: 'silent' }) } as ApiContext;
  const server = createRoutedServer(ctx, [{ router, dialect: { routePath: (p) => p, encodeError: errorResponse, headers: {} } }]);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { socketPath, opened };
}

test('a stdio route that accepts plain requests streams the output as the body and takes stdin from the request body', async (t) => {
  const stdin = new PassThrough();
  const output = new PassThrough({ objectMode: true });
  const { socketPath, opened } = await servePlainStdio(t, { output, input: stdin, tty: false, close: () => {} });

  const detached = await callApi(socketPath, 'POST', '/detached');
  assert.deepEqual([detached.status, detached.text], [200, '']);

  const received: Buffer[] = [];
  stdin.on('data', (b: Buffer) => received.push(b));
  const stdinEnded = new Promise((r) => stdin.once('end', r));
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/stream' }, resolve);
    req.on('error', reject);
    req.end('typed');
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  await stdinEnded;
  assert.equal(Buffer.concat(received).toString(), 'typed');

  output.write({ stream: 'stdout', data: Buffer.from('out') });
  output.end({ stream: 'stderr', data: Buffer.from('err') });
  const decoder = new FrameDecoder();
  const frames = [];
  for await (const chunk of res) frames.push(...decoder.push(chunk as Buffer));
  assert.deepEqual(
    frames.map((f) => [f.stream, f.data.toString()]),
    [
      ['stdout', 'out'],
      ['stderr', 'err'],
    ],
  );
  assert.deepEqual(opened, [false, false], 'both were opened as plain requests');
});
