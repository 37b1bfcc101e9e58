/** Range checks every validator uses, with Kubernetes' messages. */
import {
  type FieldError,
  type FieldPath,
  forbidden,
  invalidValue,
  notSupported,
  required,
} from './field-errors.ts';
import type { IntOrString } from './meta-schemas.ts';
import { checkPortName } from './names.ts';

export function nonNegative(path: FieldPath, value: number | undefined): FieldError[] {
  return value !== undefined && value < 0
    ? [invalidValue(path, value, 'must be greater than or equal to 0')]
    : [];
}

export function positive(path: FieldPath, value: number | undefined): FieldError[] {
  return value !== undefined && value <= 0 ? [invalidValue(path, value, 'must be greater than zero')] : [];
}

export function portNumber(path: FieldPath, port: number): FieldError[] {
  return port < 1 || port > 65535 ? [invalidValue(path, port, 'must be between 1 and 65535, inclusive')] : [];
}

/** A probe's or a Service's port: a number, or the name of a container port. */
export function portNumberOrName(path: FieldPath, port: IntOrString): FieldError[] {
  if (typeof port === 'number') return portNumber(path, port);
  return checkPortName(port).map((problem) => invalidValue(path, port, problem));
}

/** An enumerated field: absent is fine (a default applies, or the field is optional), anything else listed. */
export function supportedValue(
  path: FieldPath,
  value: string | undefined,
  allowed: readonly string[],
): FieldError[] {
  return value === undefined || allowed.includes(value) ? [] : [notSupported(path, value, allowed)];
}

/** The keys of `object` that are set, in a fixed order: for "exactly one of" checks. */
export function setFields<K extends string>(object: Partial<Record<K, unknown>>, keys: readonly K[]): K[] {
  return keys.filter((key) => object[key] !== undefined && object[key] !== null);
}

export function exactlyOne(path: FieldPath, present: readonly string[], what: string): FieldError[] {
  if (present.length === 0) return [required(path, `must specify ${what}`)];
  if (present.length > 1) return [forbidden(path.child(present[1]!), `may not specify more than 1 ${what}`)];
  return [];
}
