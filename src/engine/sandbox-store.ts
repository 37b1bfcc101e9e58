/** The pod sandboxes table: one row per sandbox, its record as JSON. Every write is one statement. */
import type { StateDb } from '../db/state-db.ts';
import { conflict, notFound } from '../errors.ts';
import type { SandboxRecord } from './sandbox-types.ts';

const migrations = [
  `CREATE TABLE sandboxes (
     id TEXT PRIMARY KEY,
     created TEXT NOT NULL,
     record TEXT NOT NULL
   );`,
];

export class SandboxStore {
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
}

export const noSuchSandbox = (id: string) => notFound(`No such sandbox: ${id}`);
