/** What pull and push share: the parts they work with, bounded concurrency and throttled byte counting. */
import type { Logger } from 'pino';
import type { ContentStore } from '../../content/content-store.ts';
import type { ImageTarget } from './image-transfer.ts';
import type { RegistrySession, SessionOptions } from './registry-session.ts';

/** The engine's storage and a way to talk to a registry, as a pull or push uses them. */
export interface TransferContext {
  content: ContentStore;
  images: ImageTarget;
  logger: Logger;
  session: (options: SessionOptions) => RegistrySession;
}

/**
 * Runs `fn` over `items`, at most `limit` at a time. On the first failure no new item starts; the
 * running ones are waited for (so none is left writing) and the first error is thrown.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

/**
 * Passes `source` through, calling `report` with the running byte count (starting at `start`) at most
 * every `intervalMs`, and once more at the end, so that progress lines stay ~10 per second per blob.
 */
export async function* metered(
  source: AsyncIterable<Buffer>,
  start: number,
  report: (current: number) => void,
  intervalMs = 100,
): AsyncGenerator<Buffer> {
  let current = start;
  let lastReport = 0;
  for await (const chunk of source) {
    current += chunk.length;
    const now = Date.now();
    if (now - lastReport >= intervalMs) {
      lastReport = now;
      report(current);
    }
    yield chunk;
  }
  report(current);
}

/** The 12 hex characters Docker shows for a layer. */
export function shortDigest(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}
