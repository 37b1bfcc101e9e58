/**
 * One watcher's queue of events: filled synchronously by the store as changes commit, read at the
 * watcher's own pace. A watch must never skip an event, so a reader that falls more than `capacity`
 * events behind is ended with `Expired` (it lists again and resumes), as the Kubernetes API server does
 * with a slow watcher, rather than having events dropped or the store held up.
 */
import { MarinaError } from '../../errors.ts';
import type { WatchEvent } from './store.ts';

export class WatchQueue implements AsyncIterableIterator<WatchEvent> {
  private readonly queue: WatchEvent[] = [];
  private waiting: { resolve: (r: IteratorResult<WatchEvent>) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  private failure: MarinaError | undefined;
  private readonly capacity: number;
  private readonly onEnd: () => void;

  constructor(capacity: number, onEnd: () => void) {
    this.capacity = capacity;
    this.onEnd = onEnd;
  }

  /** The history a watch starts with: queued whatever its length (it is bounded by the log's retention). */
  replay(events: Iterable<WatchEvent>): void {
    for (const event of events) this.queue.push(event);
  }

  /** A live change: queued, or the watch ends with `Expired` once the reader is `capacity` behind. */
  offer(event: WatchEvent): void {
    if (this.ended) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else if (this.queue.length >= this.capacity) {
      this.fail(
        new MarinaError('Expired', `the watcher fell more than ${this.capacity} events behind; list again and watch from there`),
      );
    } else {
      this.queue.push(event);
    }
  }

  /** Ends the watch after the queued events; a waiting reader sees the end at once. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = undefined;
  }

  /** Ends the watch with an error, the reader's next read; what was queued is dropped (it lists again). */
  fail(error: MarinaError): void {
    if (this.ended) return;
    this.failure = error;
    this.queue.length = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    this.end();
    waiting?.reject(error);
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<WatchEvent>> {
    this.end();
    this.queue.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent> {
    return this;
  }
}
