/** Adapts the image service's built-in seeds (busybox, debian) to the API's `POST /v1/images/seed`. */
import type { SeedImage } from '../api/server.ts';
import type { Engine } from '../engine/services.ts';
import { invalid, MarinaError } from '../errors.ts';
import { ImageStore } from '../image/image-store.ts';
import { seedBusybox, seedDebian } from '../image/seed.ts';

const seeds: Record<
  string,
  { describe: string; seed: (images: ImageStore) => Promise<{ names: string[]; id: string }> }
> = {
  busybox: { describe: "building busybox:latest from the host's static busybox", seed: seedBusybox },
  debian: {
    describe: 'building debian:bookworm-slim with debootstrap (this takes a few minutes)',
    seed: (images) => seedDebian(images),
  },
};

export function makeSeedImage(engine: Engine): SeedImage {
  return async (name, onProgress) => {
    const seed = seeds[name];
    if (!seed)
      throw invalid(`unknown seed image "${name}": use ${Object.keys(seeds).join(' or ')}`, {
        field: 'name',
      });
    // The seeds write through the concrete store, which is what createEngine builds.
    if (!(engine.images instanceof ImageStore)) {
      throw new MarinaError('Unsupported', 'this engine has no local image store to seed images into');
    }
    onProgress(`${seed.describe}…`);
    const record = await seed.seed(engine.images);
    onProgress(`built ${record.id}`);
    return { reference: record.names[0] ?? record.id };
  };
}
