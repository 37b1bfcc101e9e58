/**
 * The few native API calls the benchmarks make, over one keep-alive connection pool on marinad's unix
 * socket, so that a measured `run` pays for the daemon's work and not for connection or process start-up.
 */
import { Agent, type IncomingMessage, request } from 'node:http';
import type {
  ContainerCreateRequest,
  ContainerRecord,
  ContainerSummary,
} from '../src/engine/container-types.ts';

export class NativeClient {
  readonly #socketPath: string;
  readonly #agent = new Agent({ keepAlive: true });

  constructor(socketPath: string) {
    this.#socketPath = socketPath;
  }

  close(): void {
    this.#agent.destroy();
  }

  async create(body: ContainerCreateRequest): Promise<ContainerRecord> {
    return JSON.parse(await this.#call('POST', '/v1/containers', body)) as ContainerRecord;
  }

  async start(id: string): Promise<void> {
    await this.#call('POST', `/v1/containers/${id}/start`);
  }

  async remove(id: string, force = false): Promise<void> {
    await this.#call('DELETE', `/v1/containers/${id}${force ? '?force=1' : ''}`);
  }

  async list(all = false): Promise<ContainerSummary[]> {
    return JSON.parse(await this.#call('GET', `/v1/containers${all ? '?all=1' : ''}`)) as ContainerSummary[];
  }

  /**
   * Registers a wait and resolves once marinad has sent the headers (the wait is then in place, so a
   * container started afterwards cannot be missed); `exit` resolves with the exit code.
   */
  async wait(
    id: string,
    condition: 'not-running' | 'next-exit' | 'removed',
  ): Promise<{ exit: Promise<number> }> {
    const res = await this.#send('POST', `/v1/containers/${id}/wait?condition=${condition}`);
    if (res.statusCode !== 200) throw new Error(`wait ${id}: HTTP ${res.statusCode}: ${await readBody(res)}`);
    const exit = readBody(res).then((text) => {
      const body = JSON.parse(text) as { exitCode?: number; message?: string };
      if (typeof body.exitCode !== 'number') throw new Error(`wait ${id}: ${text}`);
      return body.exitCode;
    });
    // The caller may not await `exit` before it fails elsewhere; do not let that become an unhandled rejection.
    exit.catch(() => {});
    return { exit };
  }

  async #call(method: string, path: string, body?: unknown): Promise<string> {
    const res = await this.#send(method, path, body);
    const text = await readBody(res);
    if ((res.statusCode ?? 500) >= 300) throw new Error(`${method} ${path}: HTTP ${res.statusCode}: ${text}`);
    return text;
  }

  #send(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({
        socketPath: this.#socketPath,
        agent: this.#agent,
        method,
        path,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      });
      req.once('response', resolve);
      req.once('error', reject);
      req.end(payload);
    });
  }
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
