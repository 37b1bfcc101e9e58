/** Puts the API server on its unix socket: refuses a socket a live daemon answers on, removes a stale one. */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { MarinaError } from '../errors.ts';

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

export async function listenOnSocket(server: Server, socketPath: string): Promise<void> {
  mkdirSync(dirname(socketPath), { recursive: true });
  if (existsSync(socketPath)) {
    if (await answers(socketPath)) {
      throw new MarinaError(
        'Conflict',
        `${socketPath} is in use by another server: stop it or give this daemon another --socket`,
      );
    }
    unlinkSync(socketPath);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Root and the socket's group only, as Docker's socket.
  chmodSync(socketPath, 0o660);
}
