/**
 * Undo steps for a benchmark, run newest first exactly once: when the bench ends, fails, is interrupted
 * (SIGINT, SIGTERM) or runs out of time. A failing step is reported and the others still run.
 */
export class CleanupStack {
  readonly #steps: { what: string; step: () => unknown }[] = [];
  #running: Promise<void> | undefined;

  defer(what: string, step: () => unknown): void {
    this.#steps.push({ what, step });
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      for (let s = this.#steps.pop(); s; s = this.#steps.pop()) {
        try {
          await s.step();
        } catch (err) {
          console.error(`cleanup: ${s.what} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.#running;
  }

  /** Cleans up and exits on SIGINT/SIGTERM, and after `timeoutMs` whatever the bench is doing. */
  exitOnSignalsAndAfter(timeoutMs: number): void {
    const exitAfterCleanup = (reason: string, code: number) => {
      console.error(`\n${reason}: cleaning up`);
      void this.run().then(() => process.exit(code));
    };
    process.once('SIGINT', () => exitAfterCleanup('interrupted', 130));
    process.once('SIGTERM', () => exitAfterCleanup('terminated', 143));
    setTimeout(() => exitAfterCleanup(`bench took longer than ${timeoutMs / 1000} s`, 1), timeoutMs).unref();
  }
}
