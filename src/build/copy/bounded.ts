/**
 * Runs async jobs with at most `limit` in flight. Copies are dominated by syscalls that libuv runs on
 * its thread pool, so a handful in flight keeps the pool busy without queueing thousands of open files.
 */
export class Bounded {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Starts `job` once a slot is free; a job that fails makes the next run() and drain() throw. */
  async run(job: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    this.#throwIfFailed();
    const running: Promise<void> = job()
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  /** Waits for every job started so far; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#running);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
