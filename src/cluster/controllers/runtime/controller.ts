/**
 * Runs one controller: `workers` loops that take a key from the queue and reconcile it. A reconcile is
 * level-triggered and idempotent — it reads the current state from informers and makes the world match
 * the object, whatever events led there — so a failure simply retries the key with back-off, and a
 * reconcile that needs to look again later says when.
 */
import type { Logger } from 'pino';
import type { WorkQueue } from './work-queue.ts';

export interface ReconcileResult {
  /** Look at this key again after so many milliseconds (a deadline, a back-off, a scheduled run). */
  requeueAfterMs?: number;
}

export interface Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  /** Waits for the informers the controller reads. */
  synced(): Promise<void>;
  reconcile(key: string): Promise<ReconcileResult | undefined>;
}

export async function runController(
  controller: Controller,
  options: { workers?: number; logger: Pick<Logger, 'warn' | 'debug'>; signal: AbortSignal },
): Promise<void> {
  const { queue } = controller;
  options.signal.addEventListener('abort', () => queue.shutdown(), { once: true });
  await controller.synced();
  const worker = async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        const result = await controller.reconcile(key);
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        if (options.signal.aborted) break;
        const delay = queue.retry(key);
        options.logger.warn({ err, controller: controller.name, key, retryInMs: delay }, 'reconcile failed; retrying');
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: options.workers ?? 1 }, worker));
}
