/**
 * Kubernetes resource quantities (`500m`, `128Mi`, `1.5Gi`, `2`, `1e3`) to numbers. The scheduler adds and
 * compares amounts many thousand times per second, so it keeps them as plain integers: CPU in millicores,
 * everything else in base units (bytes, devices), rounded up as Kubernetes rounds them.
 */
import { invalid } from '../../errors.ts';
import type { Quantity } from './types.ts';

/** Decimal suffixes as powers of ten: parsed as `<mantissa>e<power>` so `100u` is exactly 1e-4. */
const decimalSuffixPowers: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const binarySuffixMultipliers: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// A decimal exponent (`1e3`) is tried before the suffix `E` (exa), as Kubernetes does.
const quantityPattern = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The value of a quantity in base units (`500m` → 0.5, `1Ki` → 1024). */
export function parseQuantity(quantity: Quantity): number {
  if (typeof quantity === 'number') {
    if (!Number.isFinite(quantity)) throw invalid(`quantity ${quantity} is not a finite number`);
    return quantity;
  }
  const match = quantityPattern.exec(quantity.trim());
  if (!match) {
    throw invalid(
      `"${quantity}" is not a quantity: write a number with an optional suffix, like 500m, 128Mi or 2`,
    );
  }
  const [, mantissa, exponent, suffix] = match;
  const binary = binarySuffixMultipliers[suffix ?? ''];
  if (binary !== undefined) return Number(mantissa) * binary;
  return Number(`${mantissa}e${exponent ?? decimalSuffixPowers[suffix ?? '']}`);
}

/** Rounds up, but not past float noise: 0.1 × 1000 is 100.00000000000001 and must stay 100. */
function ceilToInteger(value: number): number {
  return Math.ceil(Math.round(value * 1e6) / 1e6);
}

/** The amount the scheduler counts for a resource: millicores for `cpu`, whole base units for the rest. */
export function schedulingAmount(resource: string, quantity: Quantity): number {
  const value = parseQuantity(quantity);
  return ceilToInteger(resource === 'cpu' ? value * 1000 : value);
}
