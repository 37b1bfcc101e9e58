/** Digest helpers shared by the content store and its users. */
import { createHash } from 'node:crypto';
import { invalid } from '../errors.ts';
import type { Digest } from './content-store.ts';

const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return digestPattern.test(value);
}

/** Throws `Invalid` naming `what` when `value` is not a `sha256:<64 lowercase hex>` digest. */
export function parseDigest(value: string, what = 'digest'): Digest {
  if (!isDigest(value))
    throw invalid(`invalid ${what} "${value}": expected sha256: followed by 64 lowercase hex characters`);
  return value;
}

export function sha256Digest(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}
