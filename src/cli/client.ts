/**
 * The daemon client: bare node:http over the unix socket with a keep-alive agent (start-up time matters,
 * so nothing heavier is loaded). API errors come back as MarinaError with the daemon's code and message.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { type ErrorCode, errorCodeOfHttpStatus, MarinaError } from '../errors.ts';

// Loaded with require, not import: an ESM import of node:http reads every export, and its lazy WebSocket
// getter then loads undici, TLS, HTTP/2 and zlib — about 40 ms of start-up that a CLI run never uses.
const { Agent, request } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export const defaultHost = 'unix:///run/marina/marina.sock';

export class DaemonUnreachable extends Error {
  constructor(host: string) {
    super(
      `Cannot connect to marinad at ${host}: is it running? Start it with: sudo marinad --root /var/lib/marina --socket ${socketPathOf(host)} (or npm run up)`,
    );
    this.name = 'DaemonUnreachable';
  }
}

export function socketPathOf(host: string): string {
  if (!host.startsWith('unix://')) {
    throw new MarinaError(
      'Invalid',
      `unsupported host "${host}": marina talks to marinad over a unix socket, use unix:///path`,
    );
  }
  return host.slice('unix://'.length);
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export function pathWithQuery(path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === false) continue;
    if (Array.isArray(value)) for (const v of value) search.append(key, v);
    else search.set(key, value === true ? '1' : String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export interface Upgraded {
  /** Where stdin goes; ending it half-closes the connection (stdin EOF for the process). */
  socket: Socket;
  /** Everything the server sends after the 101, buffered from the first byte on (the session may attach later). */
  output: Readable;
  /** `true` when the server sends 8-byte framed output, `false` for a raw TTY stream. */
  multiplexed: boolean;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An error marinad answered with (as opposed to one found before asking it). */
export class DaemonError extends MarinaError {}

export function errorFromBody(status: number, body: string): DaemonError {
  try {
    const parsed = JSON.parse(body) as {
      code?: ErrorCode;
      message?: string;
      details?: Record<string, unknown>;
    };
    if (parsed.message) {
      return new DaemonError(
        // A Kubernetes Status carries a numeric `code` (the HTTP status), not one of ours.
        typeof parsed.code === 'string' ? parsed.code : errorCodeOfHttpStatus(status),
        parsed.message,
        parsed.details ? { details: parsed.details } : undefined,
      );
    }
  } catch {
    // Not our JSON error shape: fall through to the status.
  }
  return new DaemonError(errorCodeOfHttpStatus(status), `marinad answered ${status}: ${body.slice(0, 200)}`);
}

export class ApiClient {
  readonly host: string;
  readonly #socketPath: string;
  readonly #agent = new Agent({ keepAlive: true });

  constructor(host: string) {
    this.host = host;
    this.#socketPath = socketPathOf(host);
  }

  /** Sends a request and resolves with the response once its headers arrive (errors already turned into throws). */
  async send(
    method: string,
    path: string,
    options: { query?: Query; json?: unknown; body?: Readable; headers?: Record<string, string> } = {},
  ): Promise<IncomingMessage> {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const headers: Record<string, string> = { ...options.headers };
      const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        // Node sends a DELETE's body neither chunked nor sized unless told its length: the server would
        // read it as the next request.
        headers['content-length'] = String(Buffer.byteLength(payload));
      }
      if (options.body) headers['content-type'] = 'application/x-tar';
      const req = request(
        {
          socketPath: this.#socketPath,
          agent: this.#agent,
          method,
          path: pathWithQuery(path, options.query),
          headers,
        },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          ['ENOENT', 'ECONNREFUSED', 'EACCES'].includes(err.code ?? '')
            ? new DaemonUnreachable(this.host)
            : err,
        ),
      );
      if (options.body) options.body.pipe(req);
      else req.end(payload);
    });
    if ((res.statusCode ?? 500) >= 300 && res.statusCode !== 304) {
      throw errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString());
    }
    return res;
  }

  async json<T>(
    method: string,
    path: string,
    options: { query?: Query; json?: unknown; body?: Readable } = {},
  ): Promise<T> {
    const text = (await readAll(await this.send(method, path, options))).toString();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Switches the connection to a raw stdio stream (attach, exec start). */
  upgrade(path: string, query?: Query): Promise<Upgraded> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.#socketPath,
        method: 'POST',
        path: pathWithQuery(path, query),
        headers: { connection: 'Upgrade', upgrade: 'tcp' },
      });
      req.on('upgrade', (res, socket, head) => {
        // Piped at once: the caller starts the container before it reads, and bytes or the end of the
        // stream arriving in between must wait in the buffer, not be dropped.
        const output = new PassThrough();
        if (head.length > 0) output.write(head);
        socket.pipe(output);
        // A connection torn down without a FIN still ends the output, so the session never waits forever.
        socket.once('close', () => {
          if (!output.writableEnded) output.end();
        });
        resolve({
          socket: socket as Socket,
          output,
          multiplexed: res.headers['content-type'] !== 'application/vnd.docker.raw-stream',
        });
      });
      req.on('response', async (res) =>
        reject(errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString())),
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          ['ENOENT', 'ECONNREFUSED', 'EACCES'].includes(err.code ?? '')
            ? new DaemonUnreachable(this.host)
            : err,
        ),
      );
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Reads a JSON-lines stream, calling `onLine` with each parsed object. */
export async function readJsonLines(
  stream: Readable,
  onLine: (value: Record<string, unknown>) => void,
): Promise<void> {
  let pending = '';
  for await (const chunk of stream) {
    pending += (chunk as Buffer).toString();
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) onLine(JSON.parse(line) as Record<string, unknown>);
      newline = pending.indexOf('\n');
    }
  }
  if (pending.trim()) onLine(JSON.parse(pending) as Record<string, unknown>);
}
