/**
 * Quantities as the scheduler counts them. It adds and compares amounts many thousand times per second,
 * so it keeps them as plain integers: CPU in millicores, everything else in base units (bytes, devices),
 * rounded up as Kubernetes rounds them. Parsing is the resources' own (`parseQuantity`).
 */
import { parseQuantity } from '../resources/quantity.ts';
import type { Quantity } from './types.ts';

/** Rounds up, but not past float noise: 0.1 × 1000 is 100.00000000000001 and must stay 100. */
function ceilToInteger(value: number): number {
  return Math.ceil(Math.round(value * 1e6) / 1e6);
}

/** The amount the scheduler counts for a resource: millicores for `cpu`, whole base units for the rest. */
export function schedulingAmount(resource: string, quantity: Quantity): number {
  const value = parseQuantity(quantity);
  return ceilToInteger(resource === 'cpu' ? value * 1000 : value);
}
