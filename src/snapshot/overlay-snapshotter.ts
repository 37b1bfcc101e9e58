/**
 * The overlayfs Snapshotter, rooted at `<root>/snapshots`:
 *
 *   layers/<diff ID hex>/           one unpacked layer (its own diff, whiteouts in overlay form)
 *   layers/<hex>.tmp-<random>/      a layer being unpacked, or left by a kill -9 (removed by pruneLayers)
 *   containers/<key>/lowers         the snapshot's diff IDs, topmost first
 *   containers/<key>/l/<i>          symlink to the i-th layer from the top (keeps mount options short)
 *   containers/<key>/{upper,work,merged}
 *
 * Committing a snapshot moves its upper to layers/<hex>.tmp-<random>, converts it there to the form an
 * unpack gives (see upper-diff.ts) and renames it into place: the same path as an unpack, the same guarantee.
 *
 * A layer directory only ever appears by rename after its content was verified against the diff ID, and a
 * snapshot directory only by rename once complete, so a crash leaves temporaries, never half-made state.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import type { Digest } from '../content/content-store.ts';
import { conflict, invalid, MarinaError, notFound } from '../errors.ts';
import { applyLayer } from './apply-layer.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { HashingPassThrough, uncompressedStages } from './layer-stream.ts';
import { emptyLowerDir, lowerLinkPath, mountPoints, overlayOptions } from './overlay-mount.ts';
import { runChecked, runCommand } from '../run-command.ts';
import { treeBytes } from '../tree-bytes.ts';
import type { LayerSource, Snapshotter } from './snapshotter.ts';
import { convertUpperToLayer, packUpperDiff } from './upper-diff.ts';

const diffIdPattern = /^sha256:[0-9a-f]{64}$/;
const keyPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const temporaryMarker = '.tmp-';
/**
 * How long a layer made ready by ensureLayers or commit is safe from pruneLayers: a caller ensures, then
 * prepares, in two calls, and a prune between them must not take the layer (a build step or a container
 * create would fail). Anything older is re-unpacked from its blob when needed again.
 */
const defaultRecentLayerGraceMs = 10 * 60_000;

export class OverlaySnapshotter implements Snapshotter {
  readonly #layersDir: string;
  readonly #containersDir: string;
  /** Unpacks under way in this process, by diff ID: a second caller waits for the first. */
  readonly #unpacking = new Map<Digest, Promise<void>>();
  /** Temporary directories this process is working in: the sweep in pruneLayers must leave them alone. */
  readonly #temporariesInUse = new Set<string>();
  readonly #perKey = new KeyedQueue();
  /** When each layer was last made ready in this process (ensureLayers, commit), for pruneLayers' grace. */
  readonly #readiedAt = new Map<Digest, number>();
  readonly #recentLayerGraceMs: number;

  constructor(root: string, options: { recentLayerGraceMs?: number } = {}) {
    this.#layersDir = join(root, 'snapshots', 'layers');
    this.#containersDir = join(root, 'snapshots', 'containers');
    this.#recentLayerGraceMs = options.recentLayerGraceMs ?? defaultRecentLayerGraceMs;
  }

  async ensureLayers(layers: readonly LayerSource[]): Promise<void> {
    for (const layer of layers) checkDiffId(layer.diffId);
    const distinct = [...new Map(layers.map((l) => [l.diffId, l])).values()];
    const results = await Promise.allSettled(distinct.map((layer) => this.#ensureLayer(layer)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const layer of distinct) this.#readiedAt.set(layer.diffId, Date.now());
  }

  async prepare(key: string, diffIds: readonly Digest[]): Promise<void> {
    checkKey(key);
    for (const diffId of diffIds) checkDiffId(diffId);
    const missing: Digest[] = [];
    for (const diffId of diffIds) if (!(await exists(this.#layerDir(diffId)))) missing.push(diffId);
    if (missing.length > 0) throw notFound(`layers ${missing.join(', ')} are not unpacked; call ensureLayers first`);
    if (await exists(this.#snapshotDir(key))) throw conflict(`snapshot ${key} already exists; remove it first`);
    overlayOptions(diffIds.length);

    await mkdir(this.#containersDir, { recursive: true });
    const building = this.#claimTemporary(this.#containersDir, `.${key}`);
    try {
      const topmostFirst = [...diffIds].reverse();
      await mkdir(join(building, 'l'), { recursive: true });
      for (const name of ['upper', 'work', 'merged']) await mkdir(join(building, name));
      if (topmostFirst.length === 0) await mkdir(join(building, emptyLowerDir));
      for (const [index, diffId] of topmostFirst.entries()) {
        await symlink(join('..', '..', '..', 'layers', hexOf(diffId)), join(building, lowerLinkPath(index)));
      }
      await writeFile(join(building, 'lowers'), topmostFirst.map((d) => `${d}\n`).join(''));
      // rename(2) will not replace a non-empty directory: a concurrent prepare of the same key loses here.
      await rename(building, this.#snapshotDir(key));
    } catch (err) {
      await rm(building, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw conflict(`snapshot ${key} already exists; remove it first`);
      throw err;
    } finally {
      this.#temporariesInUse.delete(building);
    }
  }

  mount(key: string): Promise<string> {
    checkKey(key);
    return this.#perKey.run(key, async () => {
      const dir = this.#snapshotDir(key);
      const merged = join(dir, 'merged');
      const lowers = await this.#readLowers(key);
      if (await isMountPoint(merged)) return merged;
      const missing: Digest[] = [];
      for (const diffId of lowers) if (!(await exists(this.#layerDir(diffId)))) missing.push(diffId);
      if (missing.length > 0) {
        throw notFound(`snapshot ${key} needs layers ${missing.join(', ')}, which were pruned; pull the image again`);
      }
      // Run in the snapshot directory so the options can use short relative paths (see overlayOptions).
      await runChecked('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(lowers.length), merged], { cwd: dir });
      return merged;
    });
  }

  unmount(key: string): Promise<void> {
    checkKey(key);
    return this.#perKey.run(key, () => this.#unmountNow(join(this.#snapshotDir(key), 'merged')));
  }

  remove(key: string): Promise<void> {
    checkKey(key);
    return this.#perKey.run(key, async () => {
      const dir = this.#snapshotDir(key);
      if (!(await exists(dir))) return;
      await this.#unmountNow(join(dir, 'merged'));
      await this.#removeViaTemporary(dir, this.#containersDir, `.${key}`);
    });
  }

  async list(): Promise<string[]> {
    const names = await readdirOrEmpty(this.#containersDir);
    return names.filter((name) => keyPattern.test(name)).sort();
  }

  async pruneLayers(keep: ReadonlySet<Digest>): Promise<Digest[]> {
    const inUse = new Set<Digest>(keep);
    for (const key of await this.list()) for (const diffId of await this.#readLowers(key)) inUse.add(diffId);
    const graceStart = Date.now() - this.#recentLayerGraceMs;
    for (const [diffId, at] of this.#readiedAt) {
      if (at > graceStart) inUse.add(diffId);
      else this.#readiedAt.delete(diffId);
    }
    await this.#sweepStaleTemporaries(this.#containersDir);
    await this.#sweepStaleTemporaries(this.#layersDir);
    const removed: Digest[] = [];
    for (const name of await readdirOrEmpty(this.#layersDir)) {
      const diffId: Digest = `sha256:${name}`;
      if (!diffIdPattern.test(diffId) || inUse.has(diffId) || this.#unpacking.has(diffId)) continue;
      await this.#removeViaTemporary(join(this.#layersDir, name), this.#layersDir, name);
      removed.push(diffId);
    }
    return removed;
  }

  /** What a kill -9 in the middle of an unpack, prepare or remove leaves behind. */
  async #sweepStaleTemporaries(dir: string): Promise<void> {
    for (const name of await readdirOrEmpty(dir)) {
      const path = join(dir, name);
      if (name.includes(temporaryMarker) && !this.#temporariesInUse.has(path)) await rm(path, { recursive: true, force: true });
    }
  }

  #claimTemporary(dir: string, base: string): string {
    const path = join(dir, `${base}${temporaryMarker}${randomBytes(6).toString('hex')}`);
    this.#temporariesInUse.add(path);
    return path;
  }

  /** Renamed first so that a crash halfway through deleting never leaves something that looks whole. */
  async #removeViaTemporary(path: string, dir: string, base: string): Promise<void> {
    const doomed = this.#claimTemporary(dir, base);
    try {
      await rename(path, doomed);
      await rm(doomed, { recursive: true, force: true });
    } finally {
      this.#temporariesInUse.delete(doomed);
    }
  }

  async usage(key: string): Promise<number> {
    checkKey(key);
    const upper = join(this.#snapshotDir(key), 'upper');
    if (!(await exists(upper))) throw notFound(`snapshot ${key} does not exist`);
    return treeBytes(upper);
  }

  diff(key: string): Readable {
    checkKey(key);
    const upper = join(this.#snapshotDir(key), 'upper');
    // Checked here so that a wrong key is a NotFound from the call, not a failure deep in the stream.
    if (!existsSync(upper)) throw notFound(`snapshot ${key} does not exist`);
    return packUpperDiff(upper);
  }

  commit(key: string, diffId: Digest): Promise<void> {
    checkKey(key);
    checkDiffId(diffId);
    return this.#perKey.run(key, async () => {
      const dir = this.#snapshotDir(key);
      if (!(await exists(dir))) throw notFound(`snapshot ${key} does not exist`);
      await this.#unmountNow(join(dir, 'merged'));
      await this.#adoptUpper(join(dir, 'upper'), diffId);
      this.#readiedAt.set(diffId, Date.now());
      await this.#removeViaTemporary(dir, this.#containersDir, `.${key}`);
    });
  }

  /** Turns `upper` into the layer `diffId`, unless that layer is already unpacked (then `upper` is left as it is). */
  async #adoptUpper(upper: string, diffId: Digest): Promise<void> {
    const target = this.#layerDir(diffId);
    if (await exists(target)) return;
    await mkdir(this.#layersDir, { recursive: true });
    const temp = this.#claimTemporary(this.#layersDir, hexOf(diffId));
    try {
      await rename(upper, temp);
      await convertUpperToLayer(temp);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      // An unpack or commit of the same layer finished first: that is success.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(target))) return;
      throw err;
    } finally {
      this.#temporariesInUse.delete(temp);
    }
  }

  #layerDir(diffId: Digest): string {
    return join(this.#layersDir, hexOf(diffId));
  }

  #snapshotDir(key: string): string {
    return join(this.#containersDir, key);
  }

  async #readLowers(key: string): Promise<Digest[]> {
    let text: string;
    try {
      text = await readFile(join(this.#snapshotDir(key), 'lowers'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`snapshot ${key} does not exist`);
      throw err;
    }
    return text.split('\n').filter(Boolean) as Digest[];
  }

  #ensureLayer(layer: LayerSource): Promise<void> {
    const running = this.#unpacking.get(layer.diffId);
    if (running) return running;
    const promise = this.#unpackUnlessPresent(layer).finally(() => this.#unpacking.delete(layer.diffId));
    this.#unpacking.set(layer.diffId, promise);
    return promise;
  }

  async #unpackUnlessPresent(layer: LayerSource): Promise<void> {
    const target = this.#layerDir(layer.diffId);
    if (await exists(target)) return;
    const temp = this.#claimTemporary(this.#layersDir, hexOf(layer.diffId));
    try {
      await mkdir(temp, { recursive: true, mode: 0o755 });
      const hasher = new HashingPassThrough();
      const stages = await uncompressedStages(layer.open());
      // Errors anywhere in the chain destroy the hasher, so applyLayer sees them as a failed read.
      pipeline([...stages, hasher], () => {});
      await applyLayer(hasher, temp);
      const actual = hasher.digest();
      if (actual !== layer.diffId) {
        throw invalid(
          `layer ${layer.diffId} does not match its content: the uncompressed tar hashes to ${actual}; the blob is corrupt or mislabeled, pull the image again`,
        );
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      // Another process (a second daemon on the same root) finished the same layer first: that is success.
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' && (await exists(target))) return;
      throw err;
    } finally {
      this.#temporariesInUse.delete(temp);
    }
  }

  async #unmountNow(merged: string): Promise<void> {
    // Loops because a racing mount elsewhere could have stacked two overlays on the same directory.
    while (await isMountPoint(merged)) {
      const plain = await runCommand('umount', [merged]);
      if (plain.code === 0) continue;
      // Busy (e.g. a process still has its cwd there): detach now, the kernel frees it when the last user leaves.
      const lazy = await runCommand('umount', ['-l', merged]);
      if (lazy.code !== 0) {
        throw new MarinaError('Internal', `cannot unmount ${merged}: ${plain.stderr.trim()}; ${lazy.stderr.trim()}`);
      }
    }
  }
}

function checkDiffId(diffId: string): void {
  if (!diffIdPattern.test(diffId)) throw invalid(`diff ID ${JSON.stringify(diffId)} is not of the form sha256:<64 lowercase hex>`);
}

function checkKey(key: string): void {
  if (!keyPattern.test(key)) {
    throw invalid(`snapshot key ${JSON.stringify(key)} must be 1-128 letters, digits, '_', '.' or '-', not starting with a symbol`);
  }
}

function hexOf(diffId: Digest): string {
  return diffId.slice('sha256:'.length);
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function isMountPoint(path: string): Promise<boolean> {
  return mountPoints(await readFile('/proc/self/mountinfo', 'utf8')).has(path);
}
