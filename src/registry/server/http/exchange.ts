/** One registry request as the handlers see it, and the response shapes they share. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Distribution } from '../distribution.ts';

export interface RegistryExchange {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  distribution: Distribution;
  /** Whether the caller may pull from another repository (the source of a cross-repository mount). */
  mayPull(repository: string): Promise<boolean>;
}

/** A response without a body; Content-Length 0 keeps keep-alive clients from waiting for one. */
export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...headers, 'content-length': 0 });
  res.end();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
  contentType = 'application/json',
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
