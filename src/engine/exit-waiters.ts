/**
 * Who is waiting for a container to exit or go away (`wait`, and the engine's own stop and restart),
 * per container. The container service resolves them as exits and removals happen.
 */
import type { WaitCondition } from './container-types.ts';

interface Waiter {
  condition: WaitCondition;
  resolve(exitCode: number): void;
}

export class ExitWaiters {
  private readonly byContainer = new Map<string, Set<Waiter>>();

  /** Resolves with the exit code once `id` meets `condition`; rejects with the signal's reason on abort. */
  waitFor(id: string, condition: WaitCondition, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { condition, resolve };
      const set = this.byContainer.get(id) ?? new Set();
      this.byContainer.set(id, set);
      set.add(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          this.remove(id, waiter);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Resolves every waiter of `id` whose condition is among `conditions`. */
  resolve(id: string, conditions: readonly WaitCondition[], exitCode: number): void {
    for (const waiter of [...(this.byContainer.get(id) ?? [])]) {
      if (!conditions.includes(waiter.condition)) continue;
      this.remove(id, waiter);
      waiter.resolve(exitCode);
    }
  }

  private remove(id: string, waiter: Waiter): void {
    const set = this.byContainer.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.byContainer.delete(id);
  }
}
