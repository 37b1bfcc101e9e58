/** Object ids like Docker's: 64 hex characters (containers, execs, networks, anonymous volumes). */
import { randomBytes } from 'node:crypto';

export function generateId(): string {
  return randomBytes(32).toString('hex');
}

/** The 12-character form shown by `ps` and used in messages, DNS names and default hostnames. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
