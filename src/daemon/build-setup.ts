/**
 * Composes the builder over the engine: its step runner (runc in the foreground, RUN steps on the
 * default bridge network), and base images from the store or pulled through the registry client.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BaseImageSource } from '../build/builder.ts';
import { Builder } from '../build/builder.ts';
import type { BuildRequest } from '../build/build-service.ts';
import { StepRunner } from '../build/run-step.ts';
import type { EngineStorage } from '../engine/create-engine.ts';
import { isMarinaError } from '../errors.ts';
import { parseReference } from '../image/reference.ts';
import { daemonTagOf } from '../network/daemon-tag.ts';
import type { NetworkService } from '../network/network-service.ts';
import type { ImageTransfer, RegistryCredentials } from '../registry/client/image-transfer.ts';

export async function setUpBuilder(options: {
  root: string;
  storage: EngineStorage;
  networks: NetworkService;
  transfer: ImageTransfer;
  runcPath: string;
  logger: Logger;
}): Promise<Builder> {
  const dir = join(options.root, 'build');
  const logger = options.logger.child({ part: 'build' });
  const runner = new StepRunner({
    dir,
    runcPath: options.runcPath,
    networks: options.networks,
    netnsPrefix: `marina-${daemonTagOf(options.root)}-`,
    logger,
  });
  const builder = new Builder({
    dir,
    ...options.storage,
    runner,
    baseImages: baseImagesFrom(options.storage, options.transfer),
    logger,
  });
  await builder.cleanup();
  return builder;
}

function baseImagesFrom(storage: EngineStorage, transfer: ImageTransfer): BaseImageSource {
  return {
    async resolve(reference, { pull, credentials, signal }) {
      if (!pull) {
        try {
          return await storage.images.inspect(reference);
        } catch (err) {
          if (!isMarinaError(err, 'NotFound')) throw err;
        }
      }
      const { image } = await transfer.pull(reference, { credentials: credentialsFor(reference, credentials), signal });
      return image;
    },
  };
}

/** Docker's clients key Docker Hub's credentials by its v1 index URL, other registries by host. */
function credentialsFor(reference: string, all: BuildRequest['credentials']): RegistryCredentials | undefined {
  const { domain } = parseReference(reference);
  const keys = domain === 'docker.io' ? [domain, 'https://index.docker.io/v1/', 'index.docker.io'] : [domain, `https://${domain}`];
  const found = keys.map((k) => all?.[k]).find((c) => c !== undefined);
  return found && { username: found.username, password: found.password, identityToken: found.identitytoken };
}
