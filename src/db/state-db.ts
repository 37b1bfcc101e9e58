/**
 * The embedded state database: one SQLite file under the state root, shared by every part of marinad.
 * Each part owns its tables and declares them as an ordered list of migrations under its own name, so
 * parts stay independent and a schema change is one more entry in that part's list.
 *
 * Durability: WAL with synchronous=NORMAL. A committed transaction survives a kill -9 of marinad at any
 * moment (only an OS crash may lose the last commits, never consistency). The file compacts itself:
 * auto_vacuum=INCREMENTAL plus a periodic incremental vacuum and WAL truncation (see `maintain`).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';

export type Row = Record<string, SQLInputValue>;

export class StateDb {
  readonly sqlite: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.sqlite = new DatabaseSync(path, { timeout: 5000 });
    // auto_vacuum only takes effect on an empty database, which is when this first runs.
    this.sqlite.exec('PRAGMA auto_vacuum = INCREMENTAL');
    this.sqlite.exec('PRAGMA journal_mode = WAL');
    this.sqlite.exec('PRAGMA synchronous = NORMAL');
    this.sqlite.exec('PRAGMA foreign_keys = ON');
    this.sqlite.exec('CREATE TABLE IF NOT EXISTS schema_versions (part TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  }

  /** Applies the migrations of `part` that have not run yet, each in its own transaction. */
  migrate(part: string, migrations: readonly string[]): void {
    const row = this.get<{ version: number }>('SELECT version FROM schema_versions WHERE part = ?', part);
    for (let v = row?.version ?? 0; v < migrations.length; v++) {
      this.transaction(() => {
        this.sqlite.exec(migrations[v]!);
        this.run(
          'INSERT INTO schema_versions (part, version) VALUES (?, ?) ON CONFLICT(part) DO UPDATE SET version = excluded.version',
          part,
          v + 1,
        );
      });
    }
  }

  private prepare(sql: string): StatementSync {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.sqlite.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  run(sql: string, ...params: SQLInputValue[]): { changes: number } {
    const result = this.prepare(sql).run(...params);
    return { changes: Number(result.changes) };
  }

  get<T = Row>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  all<T = Row>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.prepare(sql).all(...params) as T[];
  }

  /** Runs `fn` atomically; nested calls join the outer transaction. */
  transaction<T>(fn: () => T): T {
    if (this.sqlite.isTransaction) return fn();
    this.sqlite.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.sqlite.exec('COMMIT');
      return result;
    } catch (err) {
      this.sqlite.exec('ROLLBACK');
      throw err;
    }
  }

  /** Returns freed pages to the file system and truncates the WAL; cheap when there is nothing to do. */
  maintain(): void {
    this.sqlite.exec('PRAGMA incremental_vacuum');
    this.sqlite.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    this.statements.clear();
    this.sqlite.close();
  }
}
