/** The pod sandboxes table: one row per sandbox, its record as JSON. Every write is one statement. */
import type { StateDb } from '../db/state-db.ts';
import { conflict, notFound } from '../errors.ts';
import { type LabelIndexed, writeLabelRows } from './label-lookup.ts';
import type { SandboxRecord } from './sandbox-types.ts';

const migrations = [
  `CREATE TABLE sandboxes (
     id TEXT PRIMARY KEY,
     created TEXT NOT NULL,
     record TEXT NOT NULL
   );`,
  // As container_labels: one pod's sandbox is found without reading every row.
  `CREATE TABLE sandbox_labels (
     sandbox_id TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, key)
   );
   CREATE INDEX sandbox_labels_key_value ON sandbox_labels (key, value);
   INSERT INTO sandbox_labels (sandbox_id, key, value)
     SELECT s.id, l.key, l.value FROM sandboxes s, json_each(s.record, '$.request.labels') l;`,
];

export class SandboxStore implements LabelIndexed<SandboxRecord> {
  readonly #db: StateDb;

  constructor(db: StateDb) {
    this.#db = db;
    db.migrate('engine-sandboxes', migrations);
  }

  /** `Conflict` when a sandbox with the id exists. */
  insert(record: SandboxRecord): void {
    this.#db.transaction(() => {
      if (this.get(record.id)) throw conflict(`sandbox ${record.id} already exists: remove it first or choose another id`);
      this.#db.run('INSERT INTO sandboxes (id, created, record) VALUES (?, ?, ?)', record.id, record.created, JSON.stringify(record));
      writeLabelRows(this.#db, { table: 'sandbox_labels', idColumn: 'sandbox_id' }, record.id, record.request.labels);
    });
  }

  update(record: SandboxRecord): void {
    const { changes } = this.#db.run('UPDATE sandboxes SET record = ? WHERE id = ?', JSON.stringify(record), record.id);
    if (changes === 0) throw noSuchSandbox(record.id);
  }

  delete(id: string): void {
    this.#db.run('DELETE FROM sandboxes WHERE id = ?', id);
  }

  get(id: string): SandboxRecord | undefined {
    const row = this.#db.get<{ record: string }>('SELECT record FROM sandboxes WHERE id = ?', id);
    return row ? (JSON.parse(row.record) as SandboxRecord) : undefined;
  }

  all(): SandboxRecord[] {
    return this.#db.all<{ record: string }>('SELECT record FROM sandboxes ORDER BY created').map((r) => JSON.parse(r.record) as SandboxRecord);
  }

  /** The sandboxes whose label `key` is `value`, oldest first; only their rows are read. */
  withLabel(key: string, value: string): SandboxRecord[] {
    return this.#db
      .all<{ record: string }>(
        `SELECT s.record FROM sandbox_labels l JOIN sandboxes s ON s.id = l.sandbox_id
         WHERE l.key = ? AND l.value = ? ORDER BY s.created`,
        key,
        value,
      )
      .map((r) => JSON.parse(r.record) as SandboxRecord);
  }

  labelsOf(record: SandboxRecord): Record<string, string> | undefined {
    return record.request.labels;
  }
}

export const noSuchSandbox = (id: string) => notFound(`No such sandbox: ${id}`);
