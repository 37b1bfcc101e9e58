/**
 * Lookups by label for the engine's stores: the first wanted label goes through the store's label index,
 * the others are checked on the few rows it returns, so finding one pod's containers never reads them all.
 */
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
