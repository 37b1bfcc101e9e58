/** Command-line flags of the bench scripts: every one is a whole number ≥ 1 with a default. */
import { parseArgs } from 'node:util';

export function readCountFlags<K extends string>(defaults: Record<K, number>): Record<K, number> {
  const names = Object.keys(defaults) as K[];
  const { values } = parseArgs({
    options: Object.fromEntries(names.map((name) => [name, { type: 'string', default: String(defaults[name]) }])),
  });
  return Object.fromEntries(
    names.map((name) => {
      const value = String(values[name]);
      if (!/^[1-9]\d*$/.test(value)) throw new Error(`--${name} must be a whole number ≥ 1, got "${value}"`);
      return [name, Number(value)];
    }),
  ) as Record<K, number>;
}
