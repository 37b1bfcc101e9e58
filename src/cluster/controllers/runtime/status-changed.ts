/**
 * Whether writing a status would change the stored one. A controller writes its status only then: an
 * unchanged write still bumps the resourceVersion, which the informers report as an update, which queues
 * the object again. Compared as the JSON the store keeps — key order and fields left undefined do not
 * count — so a status decided in a different shape from the stored one is not rewritten forever.
 */
import { isDeepStrictEqual } from 'node:util';

export function statusChanged(stored: object | undefined, next: object): boolean {
  return !isDeepStrictEqual(asStored(stored ?? {}), asStored(next));
}

function asStored(value: object): unknown {
  return JSON.parse(JSON.stringify(value));
}
