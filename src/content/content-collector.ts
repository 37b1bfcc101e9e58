/**
 * Garbage collection of the shared content store. Several owners keep blobs alive (the engine's images,
 * the registry's repositories, later the build cache); each registers a root source listing the digests
 * it still needs. A collection deletes every blob no owner lists.
 *
 * Owners write blobs before any record points at them (a pull downloads layers, then records the image).
 * They do so inside `lease`: a collection waits for running leases and holds new ones back, so a blob
 * written under a lease is never swept before the lease's records exist.
 */
import type { Digest } from './content-store.ts';

/** Yields every digest an owner still needs. */
export type RootSource = () => AsyncIterable<Digest> | Iterable<Digest> | Promise<Iterable<Digest>>;

export interface CollectResult {
  removed: Digest[];
  reclaimedBytes: number;
}

export interface ContentCollector {
  /** Registers (or replaces) the root source of `owner`. */
  addRoots(owner: string, source: RootSource): void;
  /** Runs `fn` with collection held back until it returns. Leases run together. */
  lease<T>(fn: () => Promise<T>): Promise<T>;
  /** Mark and sweep over every owner's roots; waits for running leases first. */
  collect(): Promise<CollectResult>;
}
