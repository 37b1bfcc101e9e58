/** What every Docker-compatible handler shares: the API versions, the error body, filters, names. */
import type { ServerResponse } from 'node:http';
import { asMarinaError, invalid } from '../../errors.ts';

/** What `/_ping` and `/version` advertise (Docker Engine 24): the docker CLI 28 and docker-compose 1.29 both accept it. */
export const dockerApiVersion = '1.43';
export const dockerMinApiVersion = '1.24';

/** Docker's error body is `{"message": …}`; the status comes from the error code as on the native API. */
export function encodeDockerError(err: unknown): { status: number; body: string } {
  const error = asMarinaError(err);
  return { status: error.httpStatus, body: JSON.stringify({ message: error.message }) };
}

/** A streamed answer (pull, push, build, load) that failed after its 200: Docker's last JSON line. */
export function writeStreamError(res: ServerResponse, err: unknown): void {
  const { message } = asMarinaError(err);
  res.end(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
}

/**
 * Docker's `filters` query parameter: JSON `{"label": ["a=b"], "status": ["running"]}` (or the old
 * `{"label": {"a=b": true}}` form). Absent or empty is no filters.
 */
export function parseFilters(raw: string | null): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  if (raw === null || raw.trim() === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid(`invalid filter: ${raw} is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid(`invalid filter: ${raw}`);
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) filters.set(key, value);
    else if (value !== null && typeof value === 'object') filters.set(key, Object.keys(value));
    else throw invalid(`invalid filter '${key}': expected a list of strings`);
  }
  return filters;
}

/** Docker's container names carry a leading slash. */
export const slashName = (name: string) => (name.startsWith('/') ? name : `/${name}`);

/** Unix seconds of an RFC 3339 time, as Docker's list endpoints report `Created`. */
export const unixSeconds = (time: string) => Math.floor(Date.parse(time) / 1000);
