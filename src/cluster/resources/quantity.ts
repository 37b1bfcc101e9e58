/**
 * Kubernetes resource quantities: `500m` CPU is 0.5 cores, `128Mi` memory is 134217728 bytes, `1e3` is 1000.
 * The scheduler compares requests with allocatable and the agent turns limits into cgroup values, both in
 * plain numbers (cores, bytes).
 */
import { invalid } from '../../errors.ts';

const binarySuffixes: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// Powers of ten, applied through the number's text (`5e-1`) so that `500m` is exactly 0.5, not 0.5000000001.
const decimalExponents: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

// Kubernetes' grammar: a signed decimal number, then one suffix (binary SI, decimal SI or an exponent).
const quantityPattern =
  /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?$/;

export const quantitySyntax =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The quantity's value in base units, or undefined when it is not a quantity. */
export function tryParseQuantity(quantity: string | number): number | undefined {
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : undefined;
  const match = quantityPattern.exec(quantity.trim());
  if (!match) return undefined;
  const [, digits, suffix, exponent] = match;
  if (exponent !== undefined) return Number(`${digits}e${exponent}`);
  if (suffix === undefined) return Number(digits);
  const binaryScale = binarySuffixes[suffix];
  return binaryScale !== undefined
    ? Number(digits) * binaryScale
    : Number(`${digits}e${decimalExponents[suffix]}`);
}

/** `parseQuantity("500m")` → 0.5, `parseQuantity("128Mi")` → 134217728; throws Invalid on anything else. */
export function parseQuantity(quantity: string | number): number {
  const value = tryParseQuantity(quantity);
  if (value === undefined) throw invalid(`invalid quantity ${JSON.stringify(quantity)}: ${quantitySyntax}`);
  return value;
}
