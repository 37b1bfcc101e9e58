/**
 * The build cache: for each step that made a layer, the layer it made, keyed by a digest of everything
 * the step depended on (its parent's key, the instruction, the config it ran with, the content it copied).
 * Entries live in the state database; their layer blobs in the shared content store.
 *
 * Entries are garbage collected with their images: each build records which entries its image used, and
 * an entry is a GC root while one of those images exists. Entries no image ever used (a failed build's
 * steps) are kept for a day, so fixing the failing line and building again still hits the steps before it.
 */
import type { ContentCollector } from '../content/content-collector.ts';
import type { ContentStore, Digest } from '../content/content-store.ts';
import type { StateDb } from '../db/state-db.ts';

export interface CachedLayer {
  /** Absent when the step changed nothing: it adds history, not a layer. */
  layer?: { diffId: Digest; digest: Digest; size: number; mediaType: string };
  /** When the step first ran (history's `created`, so a fully cached build gives the same image ID). */
  created: string;
}

const migrations = [
  `CREATE TABLE build_cache (
     key TEXT PRIMARY KEY,
     diff_id TEXT,
     digest TEXT,
     size INTEGER,
     media_type TEXT,
     created TEXT NOT NULL,
     last_used INTEGER NOT NULL,
     attached INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE build_cache_images (
     key TEXT NOT NULL REFERENCES build_cache(key) ON DELETE CASCADE,
     image_id TEXT NOT NULL,
     PRIMARY KEY (key, image_id)
   );
   CREATE INDEX build_cache_images_by_image ON build_cache_images(image_id);`,
  // What made the entry (the history's created_by), for `docker system df -v`.
  'ALTER TABLE build_cache ADD COLUMN description TEXT',
];

interface CacheRow {
  key: string;
  diff_id: Digest | null;
  digest: Digest | null;
  size: number | null;
  media_type: string | null;
  created: string;
}

/** One entry as `system df` lists it. */
export interface CacheUsage {
  key: string;
  /** Bytes of its layer blob (0 for a step that changed nothing). */
  size: number;
  created: string;
  lastUsed: string;
  /** The instruction that made it (empty for entries made before descriptions were kept). */
  description: string;
  /** Its layer is also a layer of an existing image, so its bytes are counted with the images. */
  shared: boolean;
}

const orphanLifetimeMs = 24 * 60 * 60 * 1000;

export class BuildCache {
  readonly #db: StateDb;
  readonly #content: ContentStore;
  readonly #imageExists: (id: Digest) => Promise<boolean>;

  constructor(options: {
    db: StateDb;
    content: ContentStore;
    collector: ContentCollector;
    imageExists: (id: Digest) => Promise<boolean>;
  }) {
    this.#db = options.db;
    this.#content = options.content;
    this.#imageExists = options.imageExists;
    options.db.migrate('build-cache', migrations);
    options.collector.addRoots('build-cache', () => this.#liveBlobs());
  }

  /** The entry for `key`, if its layer blob is still in the content store. */
  async lookup(key: string): Promise<CachedLayer | undefined> {
    const row = this.#db.get<CacheRow>('SELECT * FROM build_cache WHERE key = ?', key);
    if (!row) return undefined;
    if (row.digest !== null && !(await this.#content.has(row.digest))) {
      this.#db.run('DELETE FROM build_cache WHERE key = ?', key);
      return undefined;
    }
    this.#db.run('UPDATE build_cache SET last_used = ? WHERE key = ?', Date.now(), key);
    return fromRow(row);
  }

  /** Records what a step made (call inside the collector's lease that wrote the blob). */
  store(key: string, entry: CachedLayer, description: string): void {
    const layer = entry.layer;
    this.#db.run(
      `INSERT INTO build_cache (key, diff_id, digest, size, media_type, created, last_used, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET diff_id = excluded.diff_id, digest = excluded.digest, size = excluded.size,
         media_type = excluded.media_type, created = excluded.created, last_used = excluded.last_used,
         description = excluded.description`,
      key,
      layer?.diffId ?? null,
      layer?.digest ?? null,
      layer?.size ?? null,
      layer?.mediaType ?? null,
      entry.created,
      Date.now(),
      description,
    );
  }

  /** Ties the entries a build used to the image it made, so they live as long as it does. */
  attach(keys: readonly string[], imageId: Digest): void {
    this.#db.transaction(() => {
      for (const key of keys) {
        this.#db.run('UPDATE build_cache SET attached = 1 WHERE key = ?', key);
        this.#db.run('INSERT OR IGNORE INTO build_cache_images (key, image_id) SELECT key, ? FROM build_cache WHERE key = ?', imageId, key);
      }
    });
  }

  /** Every entry with its size and whether an existing image shares its layer; reads only. */
  async usage(): Promise<CacheUsage[]> {
    const rows = this.#db.all<{
      key: string;
      size: number | null;
      created: string;
      last_used: number;
      description: string | null;
      image_ids: string | null;
    }>(
      `SELECT c.key, c.size, c.created, c.last_used, c.description, group_concat(i.image_id) AS image_ids
       FROM build_cache c LEFT JOIN build_cache_images i ON i.key = c.key GROUP BY c.key ORDER BY c.last_used DESC`,
    );
    const exists = new Map<string, boolean>();
    const usage: CacheUsage[] = [];
    for (const row of rows) {
      let shared = false;
      for (const imageId of row.image_ids?.split(',') ?? []) {
        if (!exists.has(imageId)) exists.set(imageId, await this.#imageExists(imageId as Digest));
        shared ||= exists.get(imageId) === true;
      }
      usage.push({
        key: row.key,
        size: row.size ?? 0,
        created: row.created,
        lastUsed: new Date(row.last_used).toISOString(),
        description: row.description ?? '',
        shared,
      });
    }
    return usage;
  }

  /** Blobs of entries an existing image uses, or never used by an image and young; drops the rest's rows. */
  async *#liveBlobs(): AsyncGenerator<Digest> {
    const links = this.#db.all<{ key: string; image_id: Digest }>('SELECT key, image_id FROM build_cache_images');
    const liveImages = new Map<Digest, boolean>();
    const liveKeys = new Set<string>();
    for (const { key, image_id } of links) {
      if (!liveImages.has(image_id)) liveImages.set(image_id, await this.#imageExists(image_id));
      if (liveImages.get(image_id)) liveKeys.add(key);
    }
    for (const [imageId, live] of liveImages) {
      if (!live) this.#db.run('DELETE FROM build_cache_images WHERE image_id = ?', imageId);
    }
    const youngest = Date.now() - orphanLifetimeMs;
    for (const row of this.#db.all<CacheRow & { last_used: number; attached: number }>('SELECT * FROM build_cache')) {
      if (liveKeys.has(row.key) || (row.attached === 0 && row.last_used >= youngest)) {
        if (row.digest !== null) yield row.digest;
      } else {
        this.#db.run('DELETE FROM build_cache WHERE key = ?', row.key);
      }
    }
  }
}

function fromRow(row: CacheRow): CachedLayer {
  if (row.diff_id === null || row.digest === null || row.size === null || row.media_type === null) return { created: row.created };
  return { layer: { diffId: row.diff_id, digest: row.digest, size: row.size, mediaType: row.media_type }, created: row.created };
}
