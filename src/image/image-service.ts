/** The image role as the API layer calls it (see engine/services.ts for the whole engine). */
import type { Readable } from 'node:stream';
import type { ImageRecord } from './image-types.ts';

export interface ImageService {
  list(): Promise<ImageRecord[]>;
  /** By ID (full or short), digest, or reference. */
  inspect(nameOrId: string): Promise<ImageRecord>;
  tag(source: string, target: string): Promise<void>;
  /** Untags `nameOrId`; deletes the image when no name is left. `Conflict` if a container uses it, unless `force`. */
  remove(nameOrId: string, options?: { force?: boolean }): Promise<{ untagged: string[]; deleted: string[] }>;
  /** Removes dangling images (all unused with `all`) and unreferenced blobs; returns what it deleted. */
  prune(options?: { all?: boolean }): Promise<{ deleted: string[]; reclaimedBytes: number }>;
  /** Loads an OCI layout or `docker save` tarball. */
  load(tarball: Readable): Promise<{ loaded: string[] }>;
  /** Writes a tarball readable by both `docker load` and OCI tools. */
  save(names: string[]): Readable;
  /** Makes a single-layer image from a rootfs tarball (plain or gzip). */
  import(rootfsTar: Readable, reference: string, options?: { changes?: string[]; message?: string }): Promise<ImageRecord>;
}

