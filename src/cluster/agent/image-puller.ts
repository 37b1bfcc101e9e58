/**
 * Images for pod containers by their imagePullPolicy: `Always` pulls before each container is made,
 * `IfNotPresent` only when the image is missing, `Never` never (a missing image is ErrImageNeverPull). A
 * failed pull is ErrImagePull, and the next attempts for that image wait out a doubling back-off
 * (ImagePullBackOff), as the kubelet's do.
 */
import type { ImageService } from '../../engine/services.ts';
import { isMarinaError } from '../../errors.ts';
import type { ImageTransfer } from '../../registry/client/image-transfer.ts';
import { defaultImagePullPolicy } from '../resources/pod-defaults.ts';
import type { BackoffPolicy } from './restart-backoff.ts';

export type ImagePull = Pick<ImageTransfer, 'pull'>;

export type ImageResult = { ok: true } | { ok: false; reason: string; message: string; retryInMs: number };

interface PullFailures {
  count: number;
  until: number;
  message: string;
}

export class ImagePuller {
  readonly #images: Pick<ImageService, 'inspect'>;
  readonly #transfer: ImagePull;
  readonly #backoff: BackoffPolicy;
  readonly #failures = new Map<string, PullFailures>();

  constructor(images: Pick<ImageService, 'inspect'>, transfer: ImagePull, backoff: BackoffPolicy) {
    this.#images = images;
    this.#transfer = transfer;
    this.#backoff = backoff;
  }

  async ensure(image: string, pullPolicy: string | undefined): Promise<ImageResult> {
    const policy = pullPolicy ?? defaultImagePullPolicy(image);
    if (policy !== 'Always' && (await this.#present(image))) return { ok: true };
    if (policy === 'Never') {
      return {
        ok: false,
        reason: 'ErrImageNeverPull',
        message: `container image "${image}" is not present with pull policy of Never`,
        retryInMs: this.#backoff.baseMs,
      };
    }
    const failed = this.#failures.get(image);
    const now = Date.now();
    if (failed && now < failed.until) {
      return {
        ok: false,
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${image}": ${failed.message}`,
        retryInMs: failed.until - now,
      };
    }
    try {
      await this.#transfer.pull(image);
      this.#failures.delete(image);
      return { ok: true };
    } catch (err) {
      const count = (failed?.count ?? 0) + 1;
      const delay = Math.min(this.#backoff.maxMs, this.#backoff.baseMs * 2 ** (count - 1));
      const message = err instanceof Error ? err.message : String(err);
      this.#failures.set(image, { count, until: now + delay, message });
      return {
        ok: false,
        reason: 'ErrImagePull',
        message: `failed to pull image "${image}": ${message}`,
        retryInMs: delay,
      };
    }
  }

  async #present(image: string): Promise<boolean> {
    try {
      await this.#images.inspect(image);
      return true;
    } catch (err) {
      if (isMarinaError(err, 'NotFound')) return false;
      throw err;
    }
  }
}
