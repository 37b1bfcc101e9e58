/**
 * Lookups by label for the engine's stores: the first wanted label goes through the store's label index,
 * the others are checked on the few rows it returns, so finding one pod's containers never reads them all.
 * Also the writes that keep such an index.
 */
import type { StateDb } from '../db/state-db.ts';

/** A store's label index: a table of `(<idColumn>, key, value)` rows that cascade with the entry's row. */
export interface LabelTable {
  table: string;
  idColumn: string;
}

export interface LabelIndexed<T> {
  /** Every entry (no labels wanted). */
  all(): T[];
  /** The entries whose label `key` is `value`, through an index. */
  withLabel(key: string, value: string): T[];
  labelsOf(entry: T): Record<string, string> | undefined;
}

/** The entries carrying every one of `wanted` (all of them when `wanted` is empty or missing). */
export function withLabels<T>(store: LabelIndexed<T>, wanted: Record<string, string> | undefined): T[] {
  const [first, ...rest] = Object.entries(wanted ?? {});
  if (!first) return store.all();
  return store.withLabel(...first).filter((entry) => {
    const labels = store.labelsOf(entry);
    return rest.every(([key, value]) => labels?.[key] === value);
  });
}

/**
 * Writes an entry's labels into its label index, in the caller's transaction. Labels are fixed at create
 * (as Docker's are): written once, gone with the row (ON DELETE CASCADE; cleared first all the same, in
 * case a connection without foreign keys removed a row of that id).
 */
export function writeLabelRows(db: StateDb, index: LabelTable, id: string, labels: Record<string, string> | undefined): void {
  db.run(`DELETE FROM ${index.table} WHERE ${index.idColumn} = ?`, id);
  for (const [key, value] of Object.entries(labels ?? {})) {
    db.run(`INSERT INTO ${index.table} (${index.idColumn}, key, value) VALUES (?, ?, ?)`, id, key, value);
  }
}
