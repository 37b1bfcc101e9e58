/**
 * Test support for the API's route tests (not a test file itself): a real API server on a unix socket in
 * a temp dir, with stand-ins for whatever parts of the context a test does not reach, and a raw call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { type ApiContext, createApiServer } from './server.ts';

/** Serves the API with `parts` until the test ends; resolves with the socket path. */
export async function serveTestApi(
  t: TestContext,
  parts: Pick<ApiContext, 'engine'> & Partial<ApiContext>,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'marina-api-'));
  const socketPath = join(dir, 'api.sock');
  const server = createApiServer({
    logger: pino({ level: 'silent' }),
    version: 'test',
    seedImage: async () => ({ reference: 'x' }),
    // Stand-ins for the parts a test's routes do not reach.
    transfer: {} as ApiContext['transfer'],
    registry: {} as ApiContext['registry'],
    builds: {} as ApiContext['builds'],
    ...parts,
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return socketPath;
}

export interface ApiAnswer {
  status: number;
  type: string | undefined;
  text: string;
}

/** The body as JSON, undefined when empty. */
export function jsonOf(answer: ApiAnswer): unknown {
  return answer.text ? JSON.parse(answer.text) : undefined;
}

export function callApi(
  socketPath: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: options.headers }, async (res) => {
      let text = '';
      for await (const chunk of res) text += chunk;
      resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text });
    });
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}
