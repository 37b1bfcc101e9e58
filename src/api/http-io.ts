/** Request decoding and response encoding shared by the handlers: JSON bodies, flags, errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asMarinaError, invalid } from '../errors.ts';

const maxJsonBody = 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** The one place errors become responses: status from the error code, body `{code, message, details?}`. */
export function errorResponse(err: unknown): { status: number; body: string } {
  const error = asMarinaError(err);
  return { status: error.httpStatus, body: JSON.stringify(error.toJSON()) };
}

export type ErrorEncoder = (err: unknown) => { status: number; body: string };

export function sendError(res: ServerResponse, err: unknown, encode: ErrorEncoder = errorResponse): void {
  const { status, body } = encode(err);
  if (res.headersSent) {
    // A streamed response already started: the status is gone, so the error travels as the last line.
    res.end(`${body}\n`);
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxJsonBody) throw invalid(`request body is larger than ${maxJsonBody} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(`request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** `?x=1`, `?x=true` and a bare `?x` are true; absent is `fallback`. */
export function queryFlag(query: URLSearchParams, name: string, fallback = false): boolean {
  const value = query.get(name);
  if (value === null) return fallback;
  return value === '' || value === '1' || value === 'true';
}

export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value))
    throw invalid(`query parameter ${name}="${value}" must be a whole number`, { field: name });
  return Number(value);
}

export function requireQuery(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (!value) throw invalid(`query parameter "${name}" is required`, { field: name });
  return value;
}
