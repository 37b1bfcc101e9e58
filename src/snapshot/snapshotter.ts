/**
 * Filesystem snapshots for containers. Each image layer is unpacked once, keyed by its diff ID, into its
 * own directory and shared read-only by every container that uses it; each container gets a writable
 * upper directory on top (overlayfs). Layer application refuses anything that writes outside the layer's
 * root (`..`, absolute paths, symlinks that escape, device nodes outside /dev).
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../content/content-store.ts';

export interface LayerSource {
  /** sha256 of the uncompressed tar: the key a layer is unpacked under, verified while unpacking. */
  diffId: Digest;
  /** Media type of the stored blob (plain tar or gzip). */
  mediaType: string;
  /** Opens the stored blob (possibly compressed) for reading. */
  open(): Readable;
}

export interface Snapshotter {
  /** Unpacks the layers not yet unpacked. Concurrent calls for the same layer unpack it once. */
  ensureLayers(layers: readonly LayerSource[]): Promise<void>;
  /**
   * Creates the writable snapshot `key` over the given layers (lowest first). Fails with `Conflict` if
   * `key` exists, `NotFound` if a layer is not unpacked.
   */
  prepare(key: string, diffIds: readonly Digest[]): Promise<void>;
  /** Mounts snapshot `key` and returns the rootfs path; mounting a mounted snapshot returns the same path. */
  mount(key: string): Promise<string>;
  /** Unmounts snapshot `key`; a no-op when it is not mounted. */
  unmount(key: string): Promise<void>;
  /** Unmounts and deletes snapshot `key` with its upper directory; a no-op when it does not exist. */
  remove(key: string): Promise<void>;
  /** Keys of all writable snapshots, for reconciliation at start. */
  list(): Promise<string[]>;
  /**
   * Deletes unpacked layers whose diff ID is not in `keep`, that no snapshot stacks and that this process
   * did not make ready within a grace period (see OverlaySnapshotter); returns the diff IDs removed.
   */
  pruneLayers(keep: ReadonlySet<Digest>): Promise<Digest[]>;
  /** Bytes written in the upper directory of `key`. */
  usage(key: string): Promise<number>;
  /** The changes of writable snapshot `key` as an OCI layer tar (uncompressed). Call it when nothing runs in it. */
  diff(key: string): Readable;
  /**
   * Makes the upper of `key` the unpacked layer `diffId` (the sha256 of the tar `diff(key)` gave) and removes the
   * snapshot: unmount, then rename the upper into layers/<hex> unless that layer is already unpacked. The layer
   * looks exactly as if `ensureLayers` had unpacked that tar. NotFound if `key` does not exist.
   */
  commit(key: string, diffId: Digest): Promise<void>;
}
