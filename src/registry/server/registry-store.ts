/**
 * The registry's records in the state database. Bytes live in the shared content store; these tables say
 * which repository may see which blob (links), which manifests a repository holds and what they name
 * (refs, for gc), its tags, and the uploads in progress (so a chunked upload survives a daemon restart).
 * Every method is one synchronous SQLite statement or transaction, so a check and the write it guards
 * can run in one transaction with no await between them.
 */
import type { Digest } from '../../content/content-store.ts';
import type { StateDb } from '../../db/state-db.ts';

const migrations = [
  `CREATE TABLE registry_blob_links (
     repo TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL, created INTEGER NOT NULL,
     PRIMARY KEY (repo, digest));
   CREATE TABLE registry_manifests (
     repo TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
     artifact_type TEXT, subject TEXT, annotations TEXT, created INTEGER NOT NULL,
     PRIMARY KEY (repo, digest));
   CREATE INDEX registry_manifests_subject ON registry_manifests (repo, subject);
   CREATE TABLE registry_manifest_refs (
     repo TEXT NOT NULL, manifest TEXT NOT NULL, child TEXT NOT NULL,
     PRIMARY KEY (repo, manifest, child),
     FOREIGN KEY (repo, manifest) REFERENCES registry_manifests (repo, digest) ON DELETE CASCADE);
   CREATE INDEX registry_manifest_refs_child ON registry_manifest_refs (repo, child);
   CREATE TABLE registry_tags (
     repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,
     PRIMARY KEY (repo, tag),
     FOREIGN KEY (repo, digest) REFERENCES registry_manifests (repo, digest) ON DELETE CASCADE);
   CREATE TABLE registry_uploads (
     uuid TEXT PRIMARY KEY, repo TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);`,
];

export interface ManifestRecord {
  repo: string;
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  subject?: Digest;
  annotations?: Record<string, string>;
  /** Digests the manifest names: config and layers, or an index's manifests. */
  children: Digest[];
}

interface ManifestRow {
  digest: Digest;
  media_type: string;
  size: number;
  artifact_type: string | null;
  annotations: string | null;
}

export interface ReferrerRecord {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface UploadRecord {
  uuid: string;
  repo: string;
  created: number;
  updated: number;
}

export class RegistryStore {
  private readonly db: StateDb;

  constructor(db: StateDb) {
    this.db = db;
    db.migrate('registry', migrations);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  // --- blobs -------------------------------------------------------------------------------------

  /** Size of `digest` when the repository may read it: a linked blob or one of its manifests. */
  visibleBlobSize(repo: string, digest: Digest): number | undefined {
    return this.db.get<{ size: number }>(
      `SELECT size FROM registry_blob_links WHERE repo = ? AND digest = ?
       UNION ALL SELECT size FROM registry_manifests WHERE repo = ? AND digest = ? LIMIT 1`,
      repo,
      digest,
      repo,
      digest,
    )?.size;
  }

  isLinked(repo: string, digest: Digest): boolean {
    return (
      this.db.get('SELECT 1 FROM registry_blob_links WHERE repo = ? AND digest = ?', repo, digest) !==
      undefined
    );
  }

  link(repo: string, digest: Digest, size: number, now: number): void {
    // A blob linked again (a re-push) counts as fresh, so gc's minimum age protects it anew.
    this.db.run(
      `INSERT INTO registry_blob_links (repo, digest, size, created) VALUES (?, ?, ?, ?)
       ON CONFLICT (repo, digest) DO UPDATE SET created = excluded.created`,
      repo,
      digest,
      size,
      now,
    );
  }

  unlink(repo: string, digest: Digest): boolean {
    return (
      this.db.run('DELETE FROM registry_blob_links WHERE repo = ? AND digest = ?', repo, digest).changes > 0
    );
  }

  // --- manifests and tags ------------------------------------------------------------------------

  hasManifest(repo: string, digest: Digest): boolean {
    return (
      this.db.get('SELECT 1 FROM registry_manifests WHERE repo = ? AND digest = ?', repo, digest) !==
      undefined
    );
  }

  manifest(repo: string, digest: Digest): { mediaType: string; size: number } | undefined {
    const row = this.db.get<ManifestRow>(
      'SELECT media_type, size FROM registry_manifests WHERE repo = ? AND digest = ?',
      repo,
      digest,
    );
    return row && { mediaType: row.media_type, size: row.size };
  }

  putManifest(record: ManifestRecord, now: number): void {
    this.db.transaction(() => {
      this.db.run(
        `INSERT INTO registry_manifests (repo, digest, media_type, size, artifact_type, subject, annotations, created)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, digest) DO NOTHING`,
        record.repo,
        record.digest,
        record.mediaType,
        record.size,
        record.artifactType ?? null,
        record.subject ?? null,
        record.annotations ? JSON.stringify(record.annotations) : null,
        now,
      );
      for (const child of new Set(record.children)) {
        this.db.run(
          'INSERT OR IGNORE INTO registry_manifest_refs (repo, manifest, child) VALUES (?, ?, ?)',
          record.repo,
          record.digest,
          child,
        );
      }
    });
  }

  deleteManifest(repo: string, digest: Digest): boolean {
    // Tags and refs go with it (ON DELETE CASCADE).
    return (
      this.db.run('DELETE FROM registry_manifests WHERE repo = ? AND digest = ?', repo, digest).changes > 0
    );
  }

  tag(repo: string, tag: string): Digest | undefined {
    return this.db.get<{ digest: Digest }>(
      'SELECT digest FROM registry_tags WHERE repo = ? AND tag = ?',
      repo,
      tag,
    )?.digest;
  }

  setTag(repo: string, tag: string, digest: Digest): void {
    this.db.run(
      `INSERT INTO registry_tags (repo, tag, digest) VALUES (?, ?, ?)
       ON CONFLICT (repo, tag) DO UPDATE SET digest = excluded.digest`,
      repo,
      tag,
      digest,
    );
  }

  deleteTag(repo: string, tag: string): boolean {
    return this.db.run('DELETE FROM registry_tags WHERE repo = ? AND tag = ?', repo, tag).changes > 0;
  }

  repositoryExists(repo: string): boolean {
    return (
      this.db.get(
        `SELECT 1 FROM registry_manifests WHERE repo = ? UNION ALL SELECT 1 FROM registry_blob_links WHERE repo = ? LIMIT 1`,
        repo,
        repo,
      ) !== undefined
    );
  }

  /** Tags after `after` in lexical (byte) order, at most `limit` (all when undefined). */
  tags(repo: string, after: string, limit: number | undefined): string[] {
    return this.db
      .all<{ tag: string }>(
        'SELECT tag FROM registry_tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?',
        repo,
        after,
        limit ?? -1,
      )
      .map((r) => r.tag);
  }

  /** Repositories (anything linked or stored) after `after` in lexical order. */
  repositories(after: string, limit: number | undefined): string[] {
    return this.db
      .all<{ repo: string }>(
        `SELECT repo FROM (SELECT repo FROM registry_manifests UNION SELECT repo FROM registry_blob_links)
         WHERE repo > ? ORDER BY repo LIMIT ?`,
        after,
        limit ?? -1,
      )
      .map((r) => r.repo);
  }

  referrers(repo: string, subject: Digest, artifactType: string | undefined): ReferrerRecord[] {
    const rows =
      artifactType === undefined
        ? this.db.all<ManifestRow>(
            'SELECT * FROM registry_manifests WHERE repo = ? AND subject = ? ORDER BY created, digest',
            repo,
            subject,
          )
        : this.db.all<ManifestRow>(
            'SELECT * FROM registry_manifests WHERE repo = ? AND subject = ? AND artifact_type = ? ORDER BY created, digest',
            repo,
            subject,
            artifactType,
          );
    return rows.map((row) => {
      const referrer: ReferrerRecord = { digest: row.digest, mediaType: row.media_type, size: row.size };
      if (row.artifact_type !== null) referrer.artifactType = row.artifact_type;
      if (row.annotations !== null)
        referrer.annotations = JSON.parse(row.annotations) as Record<string, string>;
      return referrer;
    });
  }

  // --- uploads -----------------------------------------------------------------------------------

  addUpload(uuid: string, repo: string, now: number): void {
    this.db.run(
      'INSERT INTO registry_uploads (uuid, repo, created, updated) VALUES (?, ?, ?, ?)',
      uuid,
      repo,
      now,
      now,
    );
  }

  upload(uuid: string): UploadRecord | undefined {
    return this.db.get<UploadRecord>(
      'SELECT uuid, repo, created, updated FROM registry_uploads WHERE uuid = ?',
      uuid,
    );
  }

  touchUpload(uuid: string, now: number): void {
    this.db.run('UPDATE registry_uploads SET updated = ? WHERE uuid = ?', now, uuid);
  }

  deleteUpload(uuid: string): void {
    this.db.run('DELETE FROM registry_uploads WHERE uuid = ?', uuid);
  }

  staleUploads(updatedBefore: number): UploadRecord[] {
    return this.db.all<UploadRecord>(
      'SELECT uuid, repo, created, updated FROM registry_uploads WHERE updated < ? ORDER BY uuid',
      updatedBefore,
    );
  }

  // --- garbage collection ------------------------------------------------------------------------

  /**
   * Manifests nothing keeps: not tagged, not an entry of a kept index, not a referrer of a kept manifest
   * (a signature or SBOM lives as long as what it describes).
   */
  unkeptManifests(): { repo: string; digest: Digest; size: number }[] {
    return this.db.all(
      `WITH RECURSIVE kept (repo, digest) AS (
         SELECT repo, digest FROM registry_tags
         UNION
         SELECT r.repo, r.child FROM registry_manifest_refs r JOIN kept k ON r.repo = k.repo AND r.manifest = k.digest
         UNION
         SELECT m.repo, m.digest FROM registry_manifests m JOIN kept k ON m.repo = k.repo AND m.subject = k.digest
       )
       SELECT m.repo, m.digest, m.size FROM registry_manifests m
       WHERE NOT EXISTS (SELECT 1 FROM kept k WHERE k.repo = m.repo AND k.digest = m.digest)
       ORDER BY m.repo, m.digest`,
    );
  }

  /** Blob links no manifest of their repository names, linked before `linkedBefore`. */
  unreferencedLinks(linkedBefore: number): { repo: string; digest: Digest; size: number }[] {
    return this.db.all(
      `SELECT l.repo, l.digest, l.size FROM registry_blob_links l
       WHERE l.created < ?
         AND NOT EXISTS (SELECT 1 FROM registry_manifest_refs r WHERE r.repo = l.repo AND r.child = l.digest)
       ORDER BY l.repo, l.digest`,
      linkedBefore,
    );
  }

  /** Every digest the registry needs kept in the content store. */
  liveDigests(): Digest[] {
    return this.db
      .all<{ digest: Digest }>(
        `SELECT digest FROM registry_blob_links UNION SELECT digest FROM registry_manifests
         UNION SELECT child FROM registry_manifest_refs`,
      )
      .map((r) => r.digest);
  }
}
