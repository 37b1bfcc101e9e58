/**
 * The image service: image records and names in the state database, bytes in the content store.
 * An image is its manifest (a blob) and what that names: a config blob (whose digest is the image ID)
 * and layer blobs. Names are normalized references, each pointing at one image. Blobs are only ever
 * deleted by a mark-and-sweep over all image records (see `collectGarbage`).
 */
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ContentCollector } from '../content/content-collector.ts';
import type { ContentStore, Digest } from '../content/content-store.ts';
import { isDigest } from '../content/digest.ts';
import type { StateDb } from '../db/state-db.ts';
import { conflict, invalid, isMarinaError, MarinaError } from '../errors.ts';
import type { LayerSource } from '../snapshot/snapshotter.ts';
import { type LoadedImage, readImageArchive } from './archive-load.ts';
import { createImageArchive, type SavedImage } from './archive-save.ts';
import { packDirectory } from './directory-tar.ts';
import { decodeConfig, decodeManifest } from './image-json.ts';
import type { ImageService } from './image-service.ts';
import type { ImageConfig, ImageManifest, ImageRecord } from './image-types.ts';
import { type ImportOptions, importRootfs } from './import.ts';
import { familiarizeReference, formatReference, parseReference, parseReferenceLoose } from './reference.ts';

export type ImageEventAction = 'pull' | 'push' | 'tag' | 'untag' | 'delete' | 'load' | 'import';

export interface ImageStoreOptions {
  /** Whether a container uses the image; such images are kept unless removal is forced. */
  isInUse?: (imageId: Digest) => boolean | Promise<boolean>;
  /** Receives image events; `attributes.name` is the familiar reference when one applies. */
  onEvent?: (action: ImageEventAction, imageId: Digest, attributes: Record<string, string>) => void;
}

const migrations = [
  `CREATE TABLE images (
     id TEXT PRIMARY KEY,
     manifest_digest TEXT NOT NULL,
     size INTEGER NOT NULL,
     created TEXT NOT NULL
   );
   CREATE TABLE image_names (
     name TEXT PRIMARY KEY,
     image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
   );
   CREATE INDEX image_names_by_image ON image_names(image_id);`,
];

interface ImageRow {
  id: Digest;
  manifest_digest: Digest;
  size: number;
  created: string;
}

interface Lookup {
  id: Digest;
  /** The normalized name the user addressed the image by, if by name. */
  name?: string;
}

const shortIdPattern = /^[a-f0-9]{1,64}$/;
const notFoundHint =
  'load it with "marina image load", import it with "marina image import", or create busybox with "marina image seed busybox"';

export class ImageStore implements ImageService {
  private readonly db: StateDb;
  private readonly content: ContentStore;
  private readonly isInUse: (imageId: Digest) => boolean | Promise<boolean>;
  private readonly emit: NonNullable<ImageStoreOptions['onEvent']>;
  private readonly collector: ContentCollector;
  /** Manifests and configs are immutable blobs, so parsed copies never go stale. */
  private readonly documents = new Map<Digest, { manifest: ImageManifest; config: ImageConfig }>();

  constructor(
    db: StateDb,
    content: ContentStore,
    collector: ContentCollector,
    options: ImageStoreOptions = {},
  ) {
    this.db = db;
    this.content = content;
    this.collector = collector;
    collector.addRoots('images', () => this.liveBlobs());
    this.isInUse = options.isInUse ?? (() => false);
    this.emit = options.onEvent ?? (() => {});
    db.migrate('image', migrations);
  }

  async list(): Promise<ImageRecord[]> {
    const rows = this.db.all<ImageRow>('SELECT * FROM images ORDER BY created DESC, id');
    return Promise.all(rows.map((row) => this.record(row)));
  }

  async inspect(nameOrId: string): Promise<ImageRecord> {
    return this.record(this.row(this.lookup(nameOrId).id));
  }

  /** The image a container is created from; NotFound reads like Docker's, plus how to get the image. */
  resolve(reference: string): Promise<ImageRecord> {
    return this.inspect(reference);
  }

  /** The image's layers, lowest first, as the snapshotter unpacks them. */
  layerSources(image: ImageRecord): LayerSource[] {
    const diffIds = image.config.rootfs.diff_ids;
    if (diffIds.length !== image.manifest.layers.length) {
      throw new MarinaError(
        'Internal',
        `image ${image.id} has ${image.manifest.layers.length} layers but ${diffIds.length} diff IDs`,
      );
    }
    return image.manifest.layers.map((layer, i) => ({
      diffId: diffIds[i]!,
      mediaType: layer.mediaType,
      open: () => this.content.openRead(layer.digest),
    }));
  }

  async tag(source: string, target: string): Promise<void> {
    const ref = parseReferenceLoose(target);
    if (ref.digest !== undefined)
      throw invalid(`cannot tag with a digest reference "${target}"; give a tag instead`);
    const name = formatReference(parseReference(target));
    const { id } = this.lookup(source);
    this.db.transaction(() => this.assignName(name, id));
    this.emit('tag', id, { name: familiarizeReference(name) });
  }

  async remove(
    nameOrId: string,
    options: { force?: boolean } = {},
  ): Promise<{ untagged: string[]; deleted: string[] }> {
    const { id, name } = this.lookup(nameOrId);
    const names = this.namesOf(id);
    if (name !== undefined && names.length > 1) {
      this.db.run('DELETE FROM image_names WHERE name = ?', name);
      this.emit('untag', id, { name: familiarizeReference(name) });
      return { untagged: [familiarizeReference(name)], deleted: [] };
    }
    if (!options.force) {
      if (name === undefined && names.length > 1) {
        throw conflict(
          `image ${shortId(id)} is referenced by several names (${names.map(familiarizeReference).join(', ')}); remove them by name or force the removal`,
        );
      }
      if (await this.isInUse(id)) {
        throw conflict(
          `unable to remove image ${name ? familiarizeReference(name) : shortId(id)}: a container uses it; remove the container first or force the removal`,
        );
      }
    }
    this.db.run('DELETE FROM images WHERE id = ?', id);
    const untagged = names.map(familiarizeReference);
    for (const n of untagged) this.emit('untag', id, { name: n });
    this.emit('delete', id, {});
    await this.collectGarbage();
    return { untagged, deleted: [id] };
  }

  async prune(options: { all?: boolean } = {}): Promise<{ deleted: string[]; reclaimedBytes: number }> {
    const candidates = options.all
      ? this.db.all<{ id: Digest }>('SELECT id FROM images')
      : this.db.all<{ id: Digest }>(
          'SELECT id FROM images WHERE id NOT IN (SELECT image_id FROM image_names)',
        );
    const deleted: string[] = [];
    for (const { id } of candidates) {
      if (await this.isInUse(id)) continue;
      const names = this.namesOf(id);
      this.db.run('DELETE FROM images WHERE id = ?', id);
      for (const n of names) this.emit('untag', id, { name: familiarizeReference(n) });
      this.emit('delete', id, {});
      deleted.push(id);
    }
    const reclaimedBytes = await this.collectGarbage();
    return { deleted, reclaimedBytes };
  }

  async load(tarball: Readable): Promise<{ loaded: string[] }> {
    const { found, records } = await this.collector.lease(async () => {
      const found = await readImageArchive(this.content, tarball);
      return { found, records: await this.commit(found) };
    });
    const loaded: string[] = [];
    for (const [i, image] of found.entries()) {
      // Only the names this archive gave, not others the image already had.
      const names = image.names.map(familiarizeReference);
      const id = records[i]!.id;
      loaded.push(...(names.length > 0 ? names : [id]));
      this.emit('load', id, names[0] === undefined ? {} : { name: names[0] });
    }
    return { loaded };
  }

  save(names: string[]): Readable {
    if (names.length === 0) throw invalid('nothing to save: name at least one image');
    const lookups = names.map((n) => this.lookup(n));
    return createImageArchive(this.content, async () => {
      const byId = new Map<Digest, SavedImage>();
      for (const { id, name } of lookups) {
        const record = await this.record(this.row(id));
        const saved = byId.get(id) ?? {
          manifestDigest: record.manifestDigest,
          manifest: record.manifest,
          names: [],
        };
        if (name !== undefined && !saved.names.includes(name)) saved.names.push(name);
        byId.set(id, saved);
      }
      return [...byId.values()];
    });
  }

  import(rootfsTar: Readable, reference: string, options: ImportOptions = {}): Promise<ImageRecord> {
    return this.importFrom(() => importRootfs(this.content, rootfsTar, options), reference);
  }

  /** Like `import`, from a directory (modes, owners, symlinks and hard links kept). */
  async importDirectory(dir: string, reference: string, options: ImportOptions = {}): Promise<ImageRecord> {
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw invalid(`cannot import "${dir}": it is not a directory`);
    return this.importFrom(() => importRootfs(this.content, packDirectory(dir), options), reference);
  }

  private async importFrom(store: () => Promise<Digest>, reference: string): Promise<ImageRecord> {
    // Checked before any byte is read, so a bad name changes nothing.
    const names = reference === '' ? [] : [formatReference(parseReference(reference))];
    const [image] = await this.collector.lease(async () =>
      this.commit([{ manifestDigest: await store(), names }]),
    );
    this.emit('import', image!.id, names[0] === undefined ? {} : { name: familiarizeReference(names[0]) });
    return image!;
  }

  /** Records a pulled image whose blobs are in the content store (call inside the collector's lease). */
  async registerPulled(manifestDigest: Digest, reference: string): Promise<ImageRecord> {
    const name = formatReference(parseReference(reference));
    const [image] = await this.commit([{ manifestDigest, names: [name] }]);
    this.emit('pull', image!.id, { name: familiarizeReference(name) });
    return image!;
  }

  /** Records a built image whose blobs are in the content store, with its names (call inside the collector's lease). */
  async registerBuilt(manifestDigest: Digest, references: readonly string[]): Promise<ImageRecord> {
    const names = references.map((r) => formatReference(parseReference(r)));
    const [image] = await this.commit([{ manifestDigest, names }]);
    for (const name of names) this.emit('tag', image!.id, { name: familiarizeReference(name) });
    return image!;
  }

  /** Makes loaded or imported images visible: all of them with their names in one transaction, or none. */
  private async commit(images: LoadedImage[]): Promise<ImageRecord[]> {
    const prepared: { row: ImageRow; names: string[] }[] = [];
    for (const image of images) {
      const { manifest, config } = await this.documentsOf(image.manifestDigest);
      for (const layer of manifest.layers) {
        if (!(await this.content.has(layer.digest)))
          throw new MarinaError('Internal', `layer ${layer.digest} vanished from the content store`);
      }
      const row: ImageRow = {
        id: manifest.config.digest,
        manifest_digest: image.manifestDigest,
        size: manifest.layers.reduce((sum, l) => sum + l.size, 0),
        created: config.created ?? '',
      };
      prepared.push({ row, names: image.names });
    }
    this.db.transaction(() => {
      for (const { row, names } of prepared) {
        this.db.run(
          `INSERT INTO images (id, manifest_digest, size, created) VALUES (?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET manifest_digest = excluded.manifest_digest, size = excluded.size`,
          row.id,
          row.manifest_digest,
          row.size,
          row.created,
        );
        for (const name of names) this.assignName(name, row.id);
      }
    });
    return Promise.all(prepared.map(({ row }) => this.record(this.row(row.id))));
  }

  private assignName(name: string, id: Digest): void {
    const previous = this.db.get<{ image_id: Digest }>(
      'SELECT image_id FROM image_names WHERE name = ?',
      name,
    );
    this.db.run(
      'INSERT INTO image_names (name, image_id) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id',
      name,
      id,
    );
    if (previous && previous.image_id !== id)
      this.emit('untag', previous.image_id, { name: familiarizeReference(name) });
  }

  /** Deletes every blob no owner of the content store (images, registry) still needs. Returns the bytes freed. */
  private async collectGarbage(): Promise<number> {
    const { removed, reclaimedBytes } = await this.collector.collect();
    for (const digest of removed) this.documents.delete(digest);
    return reclaimedBytes;
  }

  /** The blobs image records reference: the image store's roots for content garbage collection. */
  private async *liveBlobs(): AsyncIterable<Digest> {
    for (const row of this.db.all<ImageRow>('SELECT * FROM images')) {
      const { manifest } = await this.documentsOf(row.manifest_digest);
      yield row.manifest_digest;
      yield manifest.config.digest;
      for (const layer of manifest.layers) yield layer.digest;
    }
  }

  private lookup(nameOrId: string): Lookup {
    if (isDigest(nameOrId)) {
      const row =
        this.db.get<{ id: Digest }>('SELECT id FROM images WHERE id = ?', nameOrId) ??
        this.db.get<{ id: Digest }>('SELECT id FROM images WHERE manifest_digest = ?', nameOrId);
      if (row) return { id: row.id };
      throw noSuchImage(nameOrId);
    }
    let display = nameOrId;
    try {
      const ref = parseReference(nameOrId);
      display = familiarizeReference(formatReference(ref));
      if (ref.digest !== undefined) {
        const row = this.db.get<{ id: Digest }>(
          'SELECT id FROM images WHERE manifest_digest = ? OR id = ?',
          ref.digest,
          ref.digest,
        );
        if (row) return { id: row.id };
      } else {
        const name = formatReference(ref);
        const row = this.db.get<{ image_id: Digest }>(
          'SELECT image_id FROM image_names WHERE name = ?',
          name,
        );
        if (row) return { id: row.image_id, name };
      }
    } catch (err) {
      // Not a valid reference; it may still be an ID prefix.
      if (!isMarinaError(err, 'Invalid') || !shortIdPattern.test(nameOrId)) throw err;
    }
    if (shortIdPattern.test(nameOrId)) {
      const rows = this.db.all<{ id: Digest }>(
        'SELECT id FROM images WHERE substr(id, 8, ?) = ?',
        nameOrId.length,
        nameOrId,
      );
      if (rows.length === 1) return { id: rows[0]!.id };
      if (rows.length > 1)
        throw invalid(
          `short image ID "${nameOrId}" is ambiguous: it matches ${rows.length} images; give more characters`,
        );
    }
    throw noSuchImage(display);
  }

  private row(id: Digest): ImageRow {
    const row = this.db.get<ImageRow>('SELECT * FROM images WHERE id = ?', id);
    if (!row) throw noSuchImage(id);
    return row;
  }

  private namesOf(id: Digest): string[] {
    return this.db
      .all<{ name: string }>('SELECT name FROM image_names WHERE image_id = ? ORDER BY name', id)
      .map((r) => r.name);
  }

  private async record(row: ImageRow): Promise<ImageRecord> {
    const { manifest, config } = await this.documentsOf(row.manifest_digest);
    return {
      id: row.id,
      manifestDigest: row.manifest_digest,
      manifest,
      config,
      names: this.namesOf(row.id),
      size: row.size,
      created: row.created,
    };
  }

  private async documentsOf(
    manifestDigest: Digest,
  ): Promise<{ manifest: ImageManifest; config: ImageConfig }> {
    let docs = this.documents.get(manifestDigest);
    if (!docs) {
      const manifest = decodeManifest(
        await this.content.read(manifestDigest),
        `image manifest ${manifestDigest}`,
      );
      const config = decodeConfig(
        await this.content.read(manifest.config.digest),
        `image config ${manifest.config.digest}`,
      );
      docs = { manifest, config };
      this.documents.set(manifestDigest, docs);
    }
    return docs;
  }
}

function shortId(id: Digest): string {
  return id.slice('sha256:'.length, 'sha256:'.length + 12);
}

function noSuchImage(display: string): MarinaError {
  return new MarinaError('NotFound', `No such image: ${display} (${notFoundHint})`);
}
