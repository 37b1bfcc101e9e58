/**
 * Bridges a process's stdio to a hijacked (HTTP Upgrade) connection. After the `101` the socket is raw in
 * both directions: process output goes out framed (stdio-framing.ts) or, with a TTY, as plain bytes; bytes
 * from the client are the process's stdin, and the client's half-close is stdin's EOF.
 */
import type { Duplex } from 'node:stream';
import type { AttachedStdio, OutputFrame } from '../engine/services.ts';
import { type ErrorEncoder, errorResponse } from './http-io.ts';
import { encodeFrame } from './stdio-framing.ts';

export const multiplexedContentType = 'application/vnd.docker.multiplexed-stream';
export const rawContentType = 'application/vnd.docker.raw-stream';

export function isUpgradeRequest(headers: Record<string, string | string[] | undefined>): boolean {
  const connection = String(headers.connection ?? '').toLowerCase();
  return connection.split(',').some((t) => t.trim() === 'upgrade') && headers.upgrade !== undefined;
}

export function bridgeStdio(stdio: AttachedStdio, socket: Duplex, head: Buffer): void {
  socket.write(
    `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${stdio.tty ? rawContentType : multiplexedContentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
  );
  const input = stdio.input;
  if (input) {
    if (head.length > 0) input.write(head);
    socket.on('data', (chunk: Buffer) => {
      if (!input.write(chunk)) {
        socket.pause();
        input.once('drain', () => socket.resume());
      }
    });
    socket.on('end', () => input.end());
    socket.resume();
    // The process may close stdin first (it exited); further client bytes have nowhere to go.
    input.on('error', () => socket.removeAllListeners('data'));
  } else {
    // Without stdin the client's bytes are dropped, but reading keeps the half-close observable.
    socket.resume();
  }
  stdio.output.on('data', (frame: OutputFrame) => {
    const bytes = stdio.tty ? frame.data : encodeFrame(frame.stream, frame.data);
    if (!socket.write(bytes)) {
      stdio.output.pause();
      socket.once('drain', () => stdio.output.resume());
    }
  });
  stdio.output.once('end', () => socket.end());
  stdio.output.once('error', () => socket.destroy());
  socket.once('close', () => stdio.close());
  socket.on('error', () => stdio.close());
}

/** Answers an upgrade request that failed before the switch with an ordinary HTTP error response. */
export function rejectUpgrade(socket: Duplex, err: unknown, encode: ErrorEncoder = errorResponse): void {
  const { status, body } = encode(err);
  socket.end(
    `HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
