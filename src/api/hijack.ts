/**
 * Serves a process's stdio over HTTP. Hijacked (HTTP Upgrade): after the `101` the socket is raw in both
 * directions, process output going out framed (stdio-framing.ts) or, with a TTY, as plain bytes; bytes from
 * the client are the process's stdin, and the client's half-close is stdin's EOF. Plain (no Upgrade, as
 * Docker also serves attach and exec start): the same output is the body of a `200`, and the request body
 * is stdin.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { AttachedStdio, OutputFrame } from '../engine/services.ts';
import { type ErrorEncoder, errorResponse } from './http-io.ts';
import { encodeFrame } from './stdio-framing.ts';

export const multiplexedContentType = 'application/vnd.docker.multiplexed-stream';
export const rawContentType = 'application/vnd.docker.raw-stream';

const contentTypeOf = (stdio: AttachedStdio) => (stdio.tty ? rawContentType : multiplexedContentType);

export function isUpgradeRequest(headers: Record<string, string | string[] | undefined>): boolean {
  const connection = String(headers.connection ?? '').toLowerCase();
  return connection.split(',').some((t) => t.trim() === 'upgrade') && headers.upgrade !== undefined;
}

export function bridgeStdio(stdio: AttachedStdio, socket: Duplex, head: Buffer): void {
  socket.write(
    `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentTypeOf(stdio)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
  );
  if (stdio.input && head.length > 0) stdio.input.write(head);
  pumpInput(socket, stdio.input);
  pumpOutput(stdio, socket);
  socket.on('error', () => stdio.close());
}

/** Serves `stdio` on a plain request: its output as the response body, the rest of the request body as stdin. */
export function serveStdio(stdio: AttachedStdio, req: Readable, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': contentTypeOf(stdio) });
  res.flushHeaders();
  pumpInput(req, stdio.input);
  pumpOutput(stdio, res);
}

/** Answers a hijack request that has no stream to serve (a detached start) as Docker does: 200, no body. */
export function answerWithoutStream(socket: Duplex): void {
  socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
}

/** The client's bytes into stdin, paced by it; the client's end is stdin's EOF. */
function pumpInput(client: Readable, input: Writable | undefined): void {
  if (input) {
    client.on('data', (chunk: Buffer) => {
      if (!input.write(chunk)) {
        client.pause();
        input.once('drain', () => client.resume());
      }
    });
    client.on('end', () => input.end());
    // The process may close stdin first (it exited); further client bytes have nowhere to go.
    input.on('error', () => client.removeAllListeners('data'));
  }
  // Without stdin the client's bytes are dropped, but reading keeps its end (half-close) observable.
  client.resume();
}

/** Output frames to the client, paced by it; the output's end ends the client's stream, closing it ends the stdio. */
function pumpOutput(stdio: AttachedStdio, client: Writable): void {
  stdio.output.on('data', (frame: OutputFrame) => {
    const bytes = stdio.tty ? frame.data : encodeFrame(frame.stream, frame.data);
    if (!client.write(bytes)) {
      stdio.output.pause();
      client.once('drain', () => stdio.output.resume());
    }
  });
  stdio.output.once('end', () => client.end());
  stdio.output.once('error', () => client.destroy());
  client.once('close', () => stdio.close());
}

/** Answers an upgrade request that failed before the switch with an ordinary HTTP error response. */
export function rejectUpgrade(socket: Duplex, err: unknown, encode: ErrorEncoder = errorResponse): void {
  const { status, body } = encode(err);
  socket.end(
    `HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
