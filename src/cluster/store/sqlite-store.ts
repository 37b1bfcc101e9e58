/**
 * The embedded Store: two tables in the state database. `cluster_kv` holds each key's current value;
 * `cluster_changes` is the log of every change by revision, which watches replay from and which is
 * compacted after `retentionMs` (Kubernetes compacts etcd every 5 minutes). A change and its log entry
 * commit in one transaction, so a kill -9 at any moment loses neither and a watch never sees a change
 * that did not happen.
 *
 * SQLite calls are synchronous, so a change is committed and offered to every live watcher in one turn
 * of the event loop; a watch registers in the same turn as it replays the log, so nothing falls in
 * between.
 */
import { MarinaError } from '../../errors.ts';
import type { StateDb } from '../../db/state-db.ts';
import type { KeyValue, ListResult, Store, WatchEvent } from './store.ts';
import { WatchQueue } from './watch-queue.ts';

const migrations = [
  `CREATE TABLE cluster_kv (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     create_revision INTEGER NOT NULL,
     mod_revision INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE cluster_changes (
     revision INTEGER PRIMARY KEY,
     key TEXT NOT NULL,
     type TEXT NOT NULL CHECK (type IN ('put', 'delete')),
     value TEXT NOT NULL,
     create_revision INTEGER NOT NULL,
     previous_value TEXT,
     previous_mod_revision INTEGER,
     at INTEGER NOT NULL
   );
   CREATE INDEX cluster_changes_at ON cluster_changes (at);
   CREATE TABLE cluster_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
   INSERT INTO cluster_meta (name, value) VALUES ('revision', 0), ('compacted', 0);`,
];

interface KvRow {
  key: string;
  value: string;
  create_revision: number;
  mod_revision: number;
}

interface ChangeRow {
  revision: number;
  key: string;
  type: 'put' | 'delete';
  value: string;
  create_revision: number;
  previous_value: string | null;
  previous_mod_revision: number | null;
}

export interface SqliteStoreOptions {
  /** How long changes stay replayable by watches (default 5 minutes). */
  retentionMs?: number;
  /** Events a watcher may fall behind before it is ended with `Expired` (default 10,000). */
  watchCapacity?: number;
  /** How often old changes are compacted away (default every minute; 0 = only by `compact()`). */
  compactEveryMs?: number;
  now?: () => number;
}

interface Watcher {
  prefix: string;
  queue: WatchQueue;
}

export class SqliteStore implements Store {
  private readonly db: StateDb;
  private readonly watchers = new Set<Watcher>();
  private readonly retentionMs: number;
  private readonly watchCapacity: number;
  private readonly now: () => number;
  private readonly compactTimer: NodeJS.Timeout | undefined;

  constructor(db: StateDb, options: SqliteStoreOptions = {}) {
    this.db = db;
    db.migrate('cluster-store', migrations);
    this.retentionMs = options.retentionMs ?? 5 * 60_000;
    this.watchCapacity = options.watchCapacity ?? 10_000;
    this.now = options.now ?? Date.now;
    const every = options.compactEveryMs ?? 60_000;
    if (every > 0) this.compactTimer = setInterval(() => this.compact(), every).unref();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const row = this.db.get<KvRow>('SELECT * FROM cluster_kv WHERE key = ?', key);
    return row && kvOf(row);
  }

  async list(prefix: string): Promise<ListResult> {
    return this.db.transaction(() => ({
      items: this.db
        .all<KvRow>('SELECT * FROM cluster_kv WHERE key >= ? AND key < ? ORDER BY key', prefix, prefixEnd(prefix))
        .map(kvOf),
      revision: this.currentRevision(),
    }));
  }

  async create(key: string, value: unknown): Promise<KeyValue> {
    const change = this.db.transaction(() => {
      if (this.db.get('SELECT 1 FROM cluster_kv WHERE key = ?', key)) {
        throw new MarinaError('Conflict', `${key} already exists`);
      }
      return this.write(key, 'put', JSON.stringify(value), undefined);
    });
    return this.published(change).kv;
  }

  async update(key: string, value: unknown, expectedModRevision?: number): Promise<KeyValue> {
    const change = this.db.transaction(() =>
      this.write(key, 'put', JSON.stringify(value), this.current(key, expectedModRevision)),
    );
    return this.published(change).kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const change = this.db.transaction(() => {
      const current = this.current(key, expectedModRevision);
      return this.write(key, 'delete', current.value, current);
    });
    return this.published(change).kv;
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const watcher: Watcher = {
      prefix,
      queue: new WatchQueue(this.watchCapacity, () => {
        this.watchers.delete(watcher);
        signal.removeEventListener('abort', onAbort);
      }),
    };
    const onAbort = () => watcher.queue.end();
    const compacted = this.meta('compacted');
    if (afterRevision < compacted) {
      watcher.queue.fail(
        new MarinaError(
          'Expired',
          `resource version ${afterRevision} is too old: changes up to ${compacted} were compacted away; list again and watch from the list's resourceVersion`,
        ),
      );
      return watcher.queue;
    }
    const replay = this.db.all<ChangeRow>(
      'SELECT * FROM cluster_changes WHERE revision > ? AND key >= ? AND key < ? ORDER BY revision',
      afterRevision,
      prefix,
      prefixEnd(prefix),
    );
    watcher.queue.replay(replay.map(eventOf));
    if (signal.aborted) {
      watcher.queue.end();
      return watcher.queue;
    }
    this.watchers.add(watcher);
    signal.addEventListener('abort', onAbort, { once: true });
    return watcher.queue;
  }

  async revision(): Promise<number> {
    return this.currentRevision();
  }

  /** Drops changes older than the retention; watches from before them then get `Expired`. */
  compact(): void {
    this.db.transaction(() => {
      const newest = this.db.get<{ revision: number | null }>(
        'SELECT max(revision) AS revision FROM cluster_changes WHERE at < ?',
        this.now() - this.retentionMs,
      )?.revision;
      if (!newest) return;
      this.db.run('DELETE FROM cluster_changes WHERE revision <= ?', newest);
      this.db.run("UPDATE cluster_meta SET value = ? WHERE name = 'compacted'", newest);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.compactTimer);
    for (const watcher of [...this.watchers]) watcher.queue.end();
  }

  /** The key's current row, checked against the revision the caller expects. */
  private current(key: string, expectedModRevision: number | undefined): KvRow {
    const row = this.db.get<KvRow>('SELECT * FROM cluster_kv WHERE key = ?', key);
    if (!row) throw new MarinaError('NotFound', `${key} not found`);
    if (expectedModRevision !== undefined && row.mod_revision !== expectedModRevision) {
      throw new MarinaError(
        'Conflict',
        `${key} has been modified (resource version ${row.mod_revision}, not ${expectedModRevision}); read it again and apply your change to the latest version`,
      );
    }
    return row;
  }

  /** Applies one change and logs it under the next revision. Runs inside a transaction. */
  private write(key: string, type: 'put' | 'delete', value: string, previous: KvRow | undefined): ChangeRow {
    const revision = this.currentRevision() + 1;
    const createRevision = previous?.create_revision ?? revision;
    this.db.run("UPDATE cluster_meta SET value = ? WHERE name = 'revision'", revision);
    if (type === 'put') {
      this.db.run(
        `INSERT INTO cluster_kv (key, value, create_revision, mod_revision) VALUES (?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision`,
        key,
        value,
        createRevision,
        revision,
      );
    } else {
      this.db.run('DELETE FROM cluster_kv WHERE key = ?', key);
    }
    const change: ChangeRow = {
      revision,
      key,
      type,
      value,
      create_revision: createRevision,
      previous_value: previous?.value ?? null,
      previous_mod_revision: previous?.mod_revision ?? null,
    };
    this.db.run(
      `INSERT INTO cluster_changes (revision, key, type, value, create_revision, previous_value, previous_mod_revision, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      revision,
      key,
      type,
      value,
      createRevision,
      change.previous_value,
      change.previous_mod_revision,
      this.now(),
    );
    return change;
  }

  /** Offers a committed change to the watchers of its key; returns it as the caller's result. */
  private published(change: ChangeRow): WatchEvent {
    for (const watcher of this.watchers) {
      if (change.key.startsWith(watcher.prefix)) watcher.queue.offer(eventOf(change));
    }
    return eventOf(change);
  }

  private currentRevision(): number {
    return this.meta('revision');
  }

  private meta(name: 'revision' | 'compacted'): number {
    return this.db.get<{ value: number }>('SELECT value FROM cluster_meta WHERE name = ?', name)!.value;
  }
}

function kvOf(row: KvRow): KeyValue {
  return {
    key: row.key,
    value: JSON.parse(row.value),
    createRevision: row.create_revision,
    modRevision: row.mod_revision,
  };
}

/** Parsed afresh for each reader: watchers and callers may change what they get without touching others'. */
function eventOf(row: ChangeRow): WatchEvent {
  const kv = { key: row.key, value: JSON.parse(row.value), createRevision: row.create_revision, modRevision: row.revision };
  if (row.type === 'delete' || row.previous_value === null) return { type: row.type, kv };
  const previous = {
    key: row.key,
    value: JSON.parse(row.previous_value),
    createRevision: row.create_revision,
    modRevision: row.previous_mod_revision!,
  };
  return { type: row.type, kv, previous };
}

/** The smallest string above every key that starts with `prefix` ('' lists everything). */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\u{10FFFF}';
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
