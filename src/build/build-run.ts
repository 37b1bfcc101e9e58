/**
 * One build in progress: runs the planned stages (each as soon as the stages it needs are done, so
 * independent stages build concurrently), step by step, reusing cached layers where the cache key of a
 * step matches. Every RUN runs in a container on an overlay snapshot; COPY and ADD write into one; the
 * snapshot's upper becomes the step's layer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, rmdir, stat, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Logger } from 'pino';
import type { ContentCollector } from '../content/content-collector.ts';
import type { ContentStore } from '../content/content-store.ts';
import { userInRootfs } from '../engine/rootfs-user.ts';
import { invalid, MarinaError } from '../errors.ts';
import type { ImageConfig, ImageRecord } from '../image/image-types.ts';
import { hostPlatform } from '../image/platform.ts';
import type { LayerSource, Snapshotter } from '../snapshot/snapshotter.ts';
import type { BuildCache, CachedLayer } from './build-cache.ts';
import type { BuildEvent, BuildRequest } from './build-service.ts';
import type { BuildContext } from './context/build-context.ts';
import { rootfsTree, type SourceTree } from './context/source-tree.ts';
import { hashSources, resolveSources } from './context/sources.ts';
import { addUrl } from './copy/add-url.ts';
import { copyIntoRootfs, writeHeredocFile } from './copy/copy-into-rootfs.ts';
import type { ArgInstruction, CopyInstruction, Dockerfile, Instruction, RunInstruction } from './dockerfile/ast.ts';
import { expandHeredoc, expandWord, type Lookup } from './dockerfile/expand.ts';
import { parseDockerfile } from './dockerfile/parse.ts';
import { resolveInRoot } from '../rootfs/resolve-in-root.ts';
import { type BuiltLayer, commitLayer } from './layer-commit.ts';
import { type BuildPlan, type CopySource, type PlannedStage, stageArgValue } from './plan.ts';
import type { StepNetwork, StepRunner } from './run-step.ts';
import { applyMetadata, defaultPath, envValue, isMetadata, runArgv } from './stage-config.ts';

/** A stage's result so far: the image being made and what its cache key chain is. */
export interface StageState {
  config: ImageConfig;
  cmdSetHere: boolean;
  layers: BuiltLayer[];
  /** The cache key of the last layer-making step (or of the base). */
  key: string;
  /** `created` of the last step that made a layer: history times, so a fully cached build is the same image. */
  lastCreated: string;
}

export interface BuildRunParts {
  content: ContentStore;
  collector: ContentCollector;
  snapshotter: Snapshotter;
  runner: StepRunner;
  cache: BuildCache;
  logger: Logger;
  /** Layers of an image in the store, to unpack. */
  layerSources(image: ImageRecord): LayerSource[];
}

/** Mount points the runtime creates in a rootfs that lacks them; removed after RUN so they are not in the layer. */
const mountTargets = ['/proc', '/dev', '/sys', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];

export class BuildRun {
  readonly #parts: BuildRunParts;
  readonly #request: BuildRequest;
  readonly #dockerfile: Dockerfile;
  readonly #plan: BuildPlan;
  readonly #context: BuildContext;
  readonly #images: Map<string, ImageRecord>;
  readonly #emit: (event: BuildEvent) => void;
  readonly #abort = new AbortController();
  readonly #id = randomBytes(6).toString('hex');
  readonly #stages = new Map<number, Promise<StageState>>();
  /** Every cache key the result depends on: the image keeps these entries alive. */
  readonly usedKeys = new Set<string>();
  #snapshotCount = 0;
  #stepCount = 0;

  constructor(options: {
    parts: BuildRunParts;
    request: BuildRequest;
    dockerfile: Dockerfile;
    plan: BuildPlan;
    context: BuildContext;
    /** Base and `COPY --from` images, resolved by reference. */
    images: Map<string, ImageRecord>;
    emit: (event: BuildEvent) => void;
    signal?: AbortSignal;
  }) {
    this.#parts = options.parts;
    this.#request = options.request;
    this.#dockerfile = options.dockerfile;
    this.#plan = options.plan;
    this.#context = options.context;
    this.#images = options.images;
    this.#emit = options.emit;
    options.signal?.addEventListener('abort', () => this.#abort.abort(), { once: true });
  }

  /** Builds the target stage (and what it needs); the first failure cancels the other stages. */
  async run(): Promise<StageState> {
    const target = this.#stage(this.#plan.target);
    const all = this.#plan.stages.map((s) => this.#stage(s.stage.index));
    try {
      await Promise.all(all);
    } catch (err) {
      this.#abort.abort();
      await Promise.allSettled(all);
      throw err;
    }
    return target;
  }

  #stage(index: number): Promise<StageState> {
    let running = this.#stages.get(index);
    if (!running) {
      const planned = this.#plan.stages.find((s) => s.stage.index === index);
      if (!planned) throw new MarinaError('Internal', `stage ${index} is not in the build plan`);
      running = this.#runStage(planned);
      this.#stages.set(index, running);
    }
    return running;
  }

  async #runStage(planned: PlannedStage): Promise<StageState> {
    await Promise.all(planned.dependsOn.map((d) => this.#stage(d)));
    const { stage } = planned;
    const total = stage.instructions.length + 1;
    let state = await this.#step(planned, 1, total, stage.from.original, async () => ({ state: await this.#baseState(planned), cached: true }));
    const triggers = planned.base.kind === 'image' ? (state.config.config?.OnBuild ?? []) : [];
    if (state.config.config?.OnBuild) state.config.config.OnBuild = null;
    const instructions = [...triggers.flatMap((t) => parseTrigger(t, stage.from.loc.file)), ...stage.instructions];
    const args = new Map<string, string | undefined>();
    for (const [position, instruction] of instructions.entries()) {
      const copyFrom = position >= triggers.length ? planned.copyFrom.get(position - triggers.length) : undefined;
      const index = position + 2 - triggers.length;
      state = await this.#step(planned, index, total, instruction.original, (stepId) =>
        this.#apply(state, instruction, args, copyFrom, stepId),
      );
    }
    return state;
  }

  async #step(
    planned: PlannedStage,
    index: number,
    total: number,
    text: string,
    work: (stepId: string) => Promise<{ state: StageState; cached: boolean }>,
  ): Promise<StageState> {
    if (this.#abort.signal.aborted) throw new MarinaError('Conflict', 'the build was cancelled');
    const id = String(++this.#stepCount);
    const started = performance.now();
    this.#emit({ type: 'step', id, stage: planned.label, index: Math.max(index, 1), total, instruction: text });
    const { state, cached } = await work(id);
    this.#emit({ type: 'step-done', id, cached, durationMs: Math.round(performance.now() - started) });
    return state;
  }

  async #baseState(planned: PlannedStage): Promise<StageState> {
    const base = planned.base;
    if (base.kind === 'stage') return structuredClone(await this.#stage(base.index));
    if (base.kind === 'scratch') {
      const { os, architecture } = hostPlatform();
      return {
        config: { architecture, os, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] },
        cmdSetHere: false,
        layers: [],
        key: 'scratch',
        lastCreated: new Date(0).toISOString(),
      };
    }
    const image = this.#image(base.reference);
    const sources = this.#parts.layerSources(image);
    return {
      config: structuredClone(image.config),
      cmdSetHere: false,
      layers: image.manifest.layers.map((l, i) => ({ diffId: sources[i]!.diffId, digest: l.digest, size: l.size, mediaType: l.mediaType })),
      key: `image:${image.id}`,
      lastCreated: image.config.created ?? new Date(0).toISOString(),
    };
  }

  #image(reference: string): ImageRecord {
    const image = this.#images.get(reference);
    if (!image) throw new MarinaError('Internal', `image ${reference} was not resolved before the build`);
    return image;
  }

  async #apply(
    state: StageState,
    instruction: Instruction,
    args: Map<string, string | undefined>,
    copyFrom: CopySource | undefined,
    stepId: string,
  ): Promise<{ state: StageState; cached: boolean }> {
    const env = state.config.config?.Env ?? [];
    // ENV overrides ARG of the same name, as Docker documents.
    const lookup: Lookup = (name) => envValue(env, name) ?? args.get(name);
    if (instruction.kind === 'ARG') {
      this.#declareArgs(instruction, args, lookup);
      return { state, cached: true };
    }
    if (isMetadata(instruction)) {
      const next = applyMetadata(state, instruction, lookup, this.#dockerfile.escape);
      return { state: withHistory({ ...state, ...next }, instruction.original, state.lastCreated, undefined), cached: true };
    }
    if (instruction.kind === 'FROM') throw new MarinaError('Internal', 'FROM inside a stage');
    if (instruction.kind === 'RUN') return this.#run(state, instruction, args, lookup, stepId);
    return this.#copy(state, instruction, lookup, copyFrom);
  }

  #declareArgs(instruction: ArgInstruction, args: Map<string, string | undefined>, lookup: Lookup): void {
    for (const arg of instruction.args) {
      const fallback = arg.defaultValue === undefined ? undefined : expandWord(arg.defaultValue, lookup, this.#dockerfile.escape);
      args.set(arg.name, stageArgValue(this.#plan, this.#request.buildArgs, arg.name, fallback));
    }
  }

  async #run(
    state: StageState,
    run: RunInstruction,
    args: Map<string, string | undefined>,
    lookup: Lookup,
    step: string,
  ): Promise<{ state: StageState; cached: boolean }> {
    const runtime = state.config.config ?? {};
    const argv = runArgv(run, runtime.Shell);
    const env = runEnv(runtime.Env ?? [], args);
    const cwd = runtime.WorkingDir || '/';
    const user = runtime.User ?? '';
    const network = this.#network(run, lookup);
    const key = cacheKey(['RUN', state.key, argv, env, cwd, user, network]);
    return this.#layerStep(state, key, run.original, async (rootfs) => {
      await mkdir(await resolveInRoot(rootfs, cwd), { recursive: true });
      const stubs = await missingPaths(rootfs, mountTargets);
      const exitCode = await this.#parts.runner.run({
        id: `build-${this.#id}-${step}`,
        rootfs,
        argv,
        env,
        cwd,
        user,
        network,
        onOutput: (stream, data) => this.#emit({ type: 'output', id: step, stream, data: data.toString('utf8') }),
        signal: this.#abort.signal,
      });
      await removeStubs(stubs);
      if (exitCode !== 0) {
        const { file, line } = run.loc;
        throw new MarinaError(
          'BuildFailed',
          `${file}:${line}: ${run.original} did not complete successfully: exit code ${exitCode}`,
          { details: { step: run.original, exitCode, line } },
        );
      }
    });
  }

  #network(run: RunInstruction, lookup: Lookup): StepNetwork {
    const value = run.network === undefined ? this.#request.network : expandWord(run.network, lookup, this.#dockerfile.escape);
    if (value === 'default' || value === 'none' || value === 'host') return value;
    throw invalid(`${run.loc.file}:${run.loc.line}: RUN --network=${value} is not known; use default, none or host`);
  }

  async #copy(
    state: StageState,
    copy: CopyInstruction,
    lookup: Lookup,
    copyFrom: CopySource | undefined,
  ): Promise<{ state: StageState; cached: boolean }> {
    const word = (raw: string) => expandWord(raw, lookup, this.#dockerfile.escape);
    const runtime = state.config.config ?? {};
    const workdir = runtime.WorkingDir || '/';
    const dest = word(copy.dest);
    const chown = copy.chown === undefined ? undefined : word(copy.chown);
    const mode = copy.chmod === undefined ? undefined : parseMode(word(copy.chmod), copy);
    const heredocs = copy.sources.filter((s) => s.startsWith('<<'));
    const expanded = copy.sources.filter((s) => !s.startsWith('<<')).map(word);
    const urls = expanded.filter((s) => /^https?:\/\//.test(s));
    if (urls.length > 0 && copy.kind === 'COPY') {
      throw invalid(`${copy.loc.file}:${copy.loc.line}: COPY cannot fetch URLs (${urls[0]}); use ADD`);
    }
    const local = expanded.filter((s) => !urls.includes(s));
    const docs = heredocs.map((h) => {
      const name = h.replace(/^<<-?["']?/, '').replace(/["']$/, '');
      const doc = copy.heredocs.find((d) => d.name === name);
      if (!doc) throw invalid(`${copy.loc.file}:${copy.loc.line}: heredoc ${name} has no body`);
      return { name, content: doc.expand ? expandHeredoc(doc.content, lookup) : doc.content };
    });

    const from = copyFrom ? await this.#sourceTree(copyFrom) : undefined;
    try {
      const tree: SourceTree = from?.tree ?? this.#context;
      const matches = local.length > 0 ? await resolveSources(tree, local, copy.kind) : [];
      const contentKey = from ? `${from.key}:${local.join('\0')}` : await hashSources(tree, matches);
      const key = cacheKey([copy.kind, state.key, contentKey, dest, workdir, chown ?? '', mode ?? -1, docs, urls]);
      return await this.#layerStep(state, key, copy.original, async (rootfs) => {
        const owner = chown === undefined ? undefined : await ownerOf(chown, rootfs);
        const options = { dest, workdir, owner, mode, extractArchives: copy.kind === 'ADD' };
        if (matches.length > 0) await copyIntoRootfs(rootfs, tree, matches, options);
        for (const doc of docs) await writeHeredocFile(rootfs, doc.name, doc.content, options);
        for (const url of urls) await addUrl(rootfs, url, options, this.#abort.signal);
      });
    } finally {
      await from?.release();
    }
  }

  /** The root filesystem a `COPY --from` reads: another stage's result or an image, mounted for the copy. */
  async #sourceTree(
    source: CopySource,
  ): Promise<{ tree: SourceTree; key: string; release(): Promise<void> }> {
    const layers =
      source.kind === 'stage'
        ? await this.#stage(source.index).then((s) => ({ key: s.key, sources: this.#layerSourcesOf(s.layers) }))
        : { key: `image:${this.#image(source.reference).id}`, sources: this.#parts.layerSources(this.#image(source.reference)) };
    const snapshot = await this.#mountSnapshot(layers.sources);
    return { tree: rootfsTree(snapshot.rootfs), key: layers.key, release: snapshot.remove };
  }

  /** A step that makes a layer: cached, or `work` on a fresh snapshot over the stage's layers, then committed. */
  async #layerStep(
    state: StageState,
    key: string,
    createdBy: string,
    work: (rootfs: string) => Promise<void>,
  ): Promise<{ state: StageState; cached: boolean }> {
    const { cache } = this.#parts;
    const hit = this.#request.noCache ? undefined : await cache.lookup(key);
    if (hit) {
      this.usedKeys.add(key);
      return { state: withLayer(state, key, hit, createdBy), cached: true };
    }
    const snapshot = await this.#mountSnapshot(this.#layerSourcesOf(state.layers));
    let layer: BuiltLayer | undefined;
    const created = new Date().toISOString();
    try {
      await work(snapshot.rootfs);
      await this.#parts.snapshotter.unmount(snapshot.key);
      layer = await commitLayer(this.#parts, snapshot.key, (made) => cache.store(key, { layer: made, created }, createdBy));
    } finally {
      await snapshot.remove();
    }
    this.usedKeys.add(key);
    return { state: withLayer(state, key, { layer, created }, createdBy), cached: false };
  }

  async #mountSnapshot(layers: LayerSource[]): Promise<{ key: string; rootfs: string; remove(): Promise<void> }> {
    const { snapshotter } = this.#parts;
    await snapshotter.ensureLayers(layers);
    const key = `build-${this.#id}-${++this.#snapshotCount}`;
    await snapshotter.prepare(key, layers.map((l) => l.diffId));
    try {
      const rootfs = await snapshotter.mount(key);
      return { key, rootfs, remove: () => snapshotter.remove(key) };
    } catch (err) {
      await snapshotter.remove(key);
      throw err;
    }
  }

  #layerSourcesOf(layers: readonly BuiltLayer[]): LayerSource[] {
    return layers.map((l) => ({ diffId: l.diffId, mediaType: l.mediaType, open: () => this.#parts.content.openRead(l.digest) }));
  }
}

function withLayer(state: StageState, key: string, entry: CachedLayer, createdBy: string): StageState {
  const layers = entry.layer ? [...state.layers, entry.layer] : state.layers;
  const config: ImageConfig = { ...state.config, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } };
  // biome-ignore lint/complexity/useMathMinMax: ISO 8601 timestamps, compared as strings
  const lastCreated = entry.created > state.lastCreated ? entry.created : state.lastCreated;
  return withHistory({ ...state, config, layers, key, lastCreated }, createdBy, entry.created, entry.layer);
}

function withHistory(state: StageState, createdBy: string, created: string, layer: BuiltLayer | undefined): StageState {
  const entry = { created, created_by: createdBy, comment: 'marina build', ...(layer ? {} : { empty_layer: true }) };
  return { ...state, config: { ...state.config, history: [...(state.config.history ?? []), entry] } };
}

/** RUN's environment: the image's, plus the stage's build args (not kept in the image), plus a PATH. */
function runEnv(env: readonly string[], args: ReadonlyMap<string, string | undefined>): string[] {
  const result = [...env];
  for (const [name, value] of args) {
    if (value !== undefined && envValue(env, name) === undefined) result.push(`${name}=${value}`);
  }
  if (envValue(result, 'PATH') === undefined) result.push(`PATH=${defaultPath}`);
  return result;
}

function cacheKey(parts: unknown[]): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;
}

function parseMode(value: string, copy: CopyInstruction): number {
  if (!/^[0-7]{3,4}$/.test(value)) {
    throw invalid(`${copy.loc.file}:${copy.loc.line}: --chmod=${value} is not an octal mode like 755 or 0644`);
  }
  return Number.parseInt(value, 8);
}

/** `--chown=user[:group]` in the target's /etc/passwd and /etc/group; a user alone also gives the gid, as Docker does. */
async function ownerOf(chown: string, rootfs: string): Promise<{ uid: number; gid: number }> {
  const user = await userInRootfs(chown, rootfs);
  return { uid: user.uid, gid: chown.includes(':') ? user.gid : user.uid };
}

/** For each target, the chain of paths from its first missing ancestor down to it (empty when it exists). */
async function missingPaths(rootfs: string, targets: readonly string[]): Promise<string[][]> {
  const chains: string[][] = [];
  for (const target of targets) {
    const chain: string[] = [];
    let path = target;
    while (path !== '/') {
      const host = await resolveInRoot(rootfs, path);
      if (await exists(host)) break;
      chain.unshift(host);
      path = posix.dirname(path);
    }
    if (chain.length > 0) chains.push(chain);
  }
  return chains;
}

/** Removes mount stubs the runtime made, deepest first, only while they are still empty. */
async function removeStubs(chains: readonly string[][]): Promise<void> {
  for (const chain of chains) {
    for (const path of [...chain].reverse()) {
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      if (info.isDirectory()) await rmdir(path).catch(() => {});
      else if (info.isFile() && info.size === 0) await unlink(path).catch(() => {});
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** An ONBUILD trigger of the base image, parsed as if written in this Dockerfile. */
function parseTrigger(trigger: string, file: string): Instruction[] {
  return parseDockerfile(`FROM scratch\n${trigger}\n`, `${file} (ONBUILD of the base image)`).stages[0]!.instructions;
}
