/**
 * The BuildService: a request in, an image out. Opens the context, reads and parses the Dockerfile,
 * plans the stages, resolves every base image before anything runs (so bad input fails fast and
 * changes nothing), runs the build, and stores the result: config and manifest blobs, the image record
 * with its tags, and the cache entries it used tied to it.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import type { ContentCollector } from '../content/content-collector.ts';
import type { ContentStore, Digest } from '../content/content-store.ts';
import type { StateDb } from '../db/state-db.ts';
import { invalid, isMarinaError, MarinaError } from '../errors.ts';
import { encodeJson } from '../image/image-json.ts';
import type { ImageStore } from '../image/image-store.ts';
import { type ImageConfig, type ImageManifest, type ImageRecord, MediaType } from '../image/image-types.ts';
import { formatPlatform, hostPlatform, parsePlatform } from '../image/platform.ts';
import { parseReference } from '../image/reference.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import { BuildCache, type CacheUsage } from './build-cache.ts';
import { BuildRun, type StageState } from './build-run.ts';
import type { BuildEvent, BuildRequest, BuildResult, BuildService } from './build-service.ts';
import { type BuildContext, extractTarContext, openDirectoryContext } from './context/build-context.ts';
import type { Dockerfile } from './dockerfile/ast.ts';
import { parseDockerfile } from './dockerfile/parse.ts';
import { resolveInRoot } from '../rootfs/resolve-in-root.ts';
import { type BuildPlan, planBuild } from './plan.ts';
import type { StepRunner } from './run-step.ts';

/** Where base images come from: the store, or their registry when missing (or when `pull` asks). */
export interface BaseImageSource {
  resolve(reference: string, options: { pull: boolean; credentials?: BuildRequest['credentials']; signal?: AbortSignal }): Promise<ImageRecord>;
}

export interface BuilderOptions {
  /** `<state root>/build`: extracted contexts and running steps. */
  dir: string;
  db: StateDb;
  content: ContentStore;
  collector: ContentCollector;
  images: ImageStore;
  snapshotter: Snapshotter;
  runner: StepRunner;
  baseImages: BaseImageSource;
  logger: Logger;
}

export class Builder implements BuildService {
  readonly #options: BuilderOptions;
  readonly #cache: BuildCache;

  constructor(options: BuilderOptions) {
    this.#options = options;
    this.#cache = new BuildCache({
      db: options.db,
      content: options.content,
      collector: options.collector,
      imageExists: (id) => options.images.inspect(id).then(
        () => true,
        () => false,
      ),
    });
  }

  cacheUsage(): Promise<CacheUsage[]> {
    return this.#cache.usage();
  }

  async build(request: BuildRequest, onEvent: (event: BuildEvent) => void, signal?: AbortSignal): Promise<BuildResult> {
    const tags = request.tags.map((tag) => {
      try {
        parseReference(tag);
        return tag;
      } catch (err) {
        throw invalid(`invalid tag "${tag}": ${isMarinaError(err) ? err.message : String(err)}`, { field: 't' });
      }
    });
    const platform = hostPlatform();
    const wanted = request.platform === undefined ? platform : parsePlatform(request.platform);
    if (wanted.os !== platform.os || wanted.architecture !== platform.architecture) {
      throw new MarinaError(
        'Unsupported',
        `cannot build for ${request.platform} here: RUN steps run on this machine, which is ${formatPlatform(platform)}`,
      );
    }
    const context = await this.#openContext(request);
    try {
      const dockerfile = await readDockerfile(request, context);
      const plan = planBuild(dockerfile, { buildArgs: request.buildArgs, target: request.target, platform });
      const images = await this.#resolveImages(plan, request, signal);
      const run = new BuildRun({
        parts: {
          content: this.#options.content,
          collector: this.#options.collector,
          snapshotter: this.#options.snapshotter,
          runner: this.#options.runner,
          cache: this.#cache,
          logger: this.#options.logger,
          layerSources: (image) => this.#options.images.layerSources(image),
        },
        request,
        dockerfile,
        plan,
        context,
        images,
        emit: onEvent,
        signal,
      });
      const result = await run.run();
      const image = await this.#store(result, request, tags, [...run.usedKeys]);
      onEvent({ type: 'result', imageId: image.id, tags });
      return { imageId: image.id, tags };
    } finally {
      await context.dispose();
    }
  }

  /** Removes what a killed marinad left behind mid-build (runc state, bundles, extracted contexts). */
  cleanup(): Promise<void> {
    return this.#options.runner.cleanup();
  }

  #openContext(request: BuildRequest): Promise<BuildContext> {
    const source = request.context;
    return source.kind === 'directory'
      ? openDirectoryContext(source.path)
      : extractTarContext(source.stream, join(this.#options.dir, 'contexts'));
  }

  /** Every image the plan names, from the store or pulled, before any step runs. */
  async #resolveImages(plan: BuildPlan, request: BuildRequest, signal?: AbortSignal): Promise<Map<string, ImageRecord>> {
    const references = new Set<string>();
    for (const stage of plan.stages) {
      if (stage.base.kind === 'image') references.add(stage.base.reference);
      for (const source of stage.copyFrom.values()) if (source.kind === 'image') references.add(source.reference);
    }
    const resolved = await Promise.all(
      [...references].map(async (reference) => {
        const image = await this.#options.baseImages.resolve(reference, {
          pull: request.pull,
          credentials: request.credentials,
          signal,
        });
        return [reference, image] as const;
      }),
    );
    return new Map(resolved);
  }

  async #store(result: StageState, request: BuildRequest, tags: string[], usedKeys: string[]): Promise<ImageRecord> {
    const { content, collector, images } = this.#options;
    const runtime = { ...result.config.config };
    if (Object.keys(request.labels).length > 0) runtime.Labels = { ...runtime.Labels, ...request.labels };
    const config: ImageConfig = {
      ...result.config,
      created: result.lastCreated,
      config: runtime,
      rootfs: { type: 'layers', diff_ids: result.layers.map((l) => l.diffId) },
    };
    return collector.lease(async () => {
      const configBlob = await content.write(encodeJson(config));
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: configBlob.digest, size: configBlob.size },
        layers: result.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      };
      const manifestBlob = await content.write(encodeJson(manifest));
      const image = await images.registerBuilt(manifestBlob.digest as Digest, tags);
      this.#cache.attach(usedKeys, image.id);
      return image;
    });
  }
}

/** The Dockerfile's text: given, at an absolute path (directory contexts), or inside the context. */
async function readDockerfile(request: BuildRequest, context: BuildContext): Promise<Dockerfile> {
  const given = request.dockerfile;
  if (given && 'text' in given) return parseDockerfile(given.text, 'Dockerfile');
  const name = given?.path ?? 'Dockerfile';
  const candidates =
    isAbsolute(name) && request.context.kind === 'directory'
      ? [name]
      : await Promise.all(
          (given ? [name] : ['Dockerfile', 'dockerfile']).map((n) => resolveInRoot(context.root, n)),
        );
  for (const path of candidates) {
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EISDIR') return undefined;
      throw err;
    });
    if (text !== undefined) return parseDockerfile(text, given ? name : 'Dockerfile');
  }
  throw invalid(`cannot read the Dockerfile: ${name} is not in the build context; give its path with -f`, { field: 'dockerfile' });
}
