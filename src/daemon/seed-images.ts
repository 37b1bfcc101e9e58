/** Adapts the image service's built-in seeds (busybox, debian) to the API's `POST /v1/images/seed`. */
import type { SeedImage } from '../api/server.ts';
import type { Engine } from '../engine/services.ts';
import { MarinaError } from '../errors.ts';

export function makeSeedImage(_engine: Engine): SeedImage {
  return async (name) => {
    throw new MarinaError('Unavailable', `seeding ${name} is not available yet in this build`);
  };
}
