/**
 * Runs a sync when asked, coalescing bursts: the first request after a quiet period runs at once (a pod
 * turning ready should carry traffic without waiting), requests during a run or within `minIntervalMs`
 * of its start are folded into one further run. Like kube-proxy's minSyncPeriod; a failed run is
 * retried after `retryMs`, and never two runs overlap.
 */
export interface SyncRunnerOptions {
  minIntervalMs: number;
  retryMs: number;
  onError: (err: unknown) => void;
}

export class SyncRunner {
  readonly #sync: () => Promise<void>;
  readonly #options: SyncRunnerOptions;
  #running: Promise<void> | undefined;
  #pending = false;
  #timer: NodeJS.Timeout | undefined;
  #lastStart = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(sync: () => Promise<void>, options: SyncRunnerOptions) {
    this.#sync = sync;
    this.#options = options;
  }

  request(): void {
    if (this.#stopped) return;
    this.#pending = true;
    if (this.#running || this.#timer) return;
    this.#schedule(Math.max(0, this.#lastStart + this.#options.minIntervalMs - Date.now()));
  }

  /** No more runs; resolves when the one under way (if any) has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (delayMs === 0) {
      this.#run();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, delayMs);
  }

  #run(): void {
    if (this.#stopped) return;
    this.#pending = false;
    this.#lastStart = Date.now();
    this.#running = this.#sync().then(
      () => {
        this.#running = undefined;
        if (this.#pending) this.request();
      },
      (err: unknown) => {
        this.#running = undefined;
        this.#options.onError(err);
        if (this.#stopped) return;
        this.#pending = true;
        this.#timer ??= setTimeout(() => {
          this.#timer = undefined;
          this.#run();
        }, this.#options.retryMs);
      },
    );
  }
}
