/** Reading the small request bodies the registry buffers (manifests, token forms) with a size bound. */
import type { IncomingMessage } from 'node:http';

/**
 * The whole body, or 'too-large' as soon as it passes `limit` bytes (a declared Content-Length over the
 * limit is refused before reading anything). The rest is left unread: the caller answers and closes
 * the connection rather than swallow an unbounded body.
 */
export function readBounded(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  // Listeners rather than for-await: leaving a for-await loop early would destroy the socket before
  // the 413 could be sent.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (settle: () => void) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        req.pause();
        finish(() => resolve('too-large'));
      }
    };
    const onEnd = () => finish(() => resolve(Buffer.concat(chunks)));
    const onError = (err: Error) => finish(() => reject(err));
    const onClose = () =>
      finish(() => reject(new Error('the client closed the connection before sending the whole body')));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Whether the request carries a body at all: docker finishes an upload with an empty PUT. */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > 0;
}
