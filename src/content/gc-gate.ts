/**
 * Keeps blob garbage collection and blob writers apart. A load or import stores blobs before any image
 * record points at them; a sweep running in between would see them as garbage. Writers run together;
 * a collection waits for running writers to finish and holds new ones back until it is done.
 */
export class GcGate {
  private writers = 0;
  private collecting: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async write<T>(fn: () => Promise<T>): Promise<T> {
    while (this.collecting) await this.collecting;
    this.writers++;
    try {
      return await fn();
    } finally {
      this.writers--;
      if (this.writers === 0) this.drained?.();
    }
  }

  async collect<T>(fn: () => Promise<T>): Promise<T> {
    while (this.collecting) await this.collecting;
    let release!: () => void;
    this.collecting = new Promise((resolve) => {
      release = resolve;
    });
    try {
      if (this.writers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      return await fn();
    } finally {
      this.drained = undefined;
      this.collecting = undefined;
      release();
    }
  }
}
