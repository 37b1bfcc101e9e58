/**
 * Unpacked layers are derived data: each image layer is unpacked once into the snapshotter and shared,
 * and without this its directory would stay after the last image using it is gone. After an image is
 * deleted (rmi, image prune) and once at start, the pruner deletes the unpacked layers that no image,
 * no snapshot and no recent unpack needs (the snapshotter decides the last two). A layer needed again
 * later — a build cache hit whose image went — is unpacked again from its blob.
 */
import type { Logger } from 'pino';
import type { Digest } from '../content/content-store.ts';
import type { ImageRecord } from '../image/image-types.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';

export interface LayerPrunerDeps {
  snapshotter: Pick<Snapshotter, 'pruneLayers'>;
  images: { list(): Promise<ImageRecord[]> };
  logger: Pick<Logger, 'info' | 'warn'>;
}

/** The diff IDs of every layer of `images`: what the snapshotter must keep unpacked for them. */
export function layersOfImages(images: readonly ImageRecord[]): Set<Digest> {
  return new Set(images.flatMap((image) => image.config.rootfs.diff_ids));
}

export class LayerPruner {
  readonly #deps: LayerPrunerDeps;
  #tail: Promise<void> = Promise.resolve();
  /** A prune is queued and has not started: later requests join it. */
  #queued = false;

  constructor(deps: LayerPrunerDeps) {
    this.#deps = deps;
  }

  /** Prunes after any prune under way; requests made meanwhile share one run. Never rejects. */
  request(): Promise<void> {
    if (this.#queued) return this.#tail;
    this.#queued = true;
    this.#tail = this.#tail.then(async () => {
      this.#queued = false;
      try {
        const removed = await this.#deps.snapshotter.pruneLayers(layersOfImages(await this.#deps.images.list()));
        if (removed.length > 0) this.#deps.logger.info({ layers: removed.length }, 'removed unpacked layers no image uses');
      } catch (err) {
        this.#deps.logger.warn({ err }, 'removing unused unpacked layers failed; trying again after the next image removal');
      }
    });
    return this.#tail;
  }
}
