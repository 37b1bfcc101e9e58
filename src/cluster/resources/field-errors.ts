/**
 * Validation errors in Kubernetes' shape: a field path and a message whose first words say the kind of
 * problem, so `formatFieldError` prints exactly what kubectl users know:
 * `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
 */
import { type MarinaError, invalid } from '../../errors.ts';

export interface FieldError {
  /** `spec.template.spec.containers[0].image` */
  path: string;
  /** Everything after the path: `Invalid value: -1: must be greater than or equal to 0`. */
  message: string;
}

/** Builds field paths the way Kubernetes prints them: `a.b`, `a[0]`, `a[key]`. */
export class FieldPath {
  readonly text: string;

  constructor(text = '') {
    this.text = text;
  }

  child(name: string): FieldPath {
    return new FieldPath(this.text === '' ? name : `${this.text}.${name}`);
  }

  index(i: number | string): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }
}

/** Values as Kubernetes shows them: strings quoted, numbers and booleans bare, objects as JSON. */
function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? String(value);
}

export const invalidValue = (path: FieldPath, value: unknown, detail: string): FieldError => ({
  path: path.text,
  message: `Invalid value: ${show(value)}: ${detail}`,
});

export const required = (path: FieldPath, detail?: string): FieldError => ({
  path: path.text,
  message: detail ? `Required value: ${detail}` : 'Required value',
});

export const duplicate = (path: FieldPath, value: unknown): FieldError => ({
  path: path.text,
  message: `Duplicate value: ${show(value)}`,
});

export const notSupported = (path: FieldPath, value: unknown, supported: readonly string[]): FieldError => ({
  path: path.text,
  message: `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});

export const notFound = (path: FieldPath, value: unknown): FieldError => ({
  path: path.text,
  message: `Not found: ${show(value)}`,
});

export const forbidden = (path: FieldPath, detail: string): FieldError => ({
  path: path.text,
  message: `Forbidden: ${detail}`,
});

export const tooLong = (path: FieldPath, maxLength: number): FieldError => ({
  path: path.text,
  message: `Too long: may not be more than ${maxLength} bytes`,
});

export const immutable = (path: FieldPath, value: unknown): FieldError =>
  invalidValue(path, value, 'field is immutable');

export function formatFieldError(error: FieldError): string {
  return error.path === '' ? error.message : `${error.path}: ${error.message}`;
}

/**
 * The one error admission returns for a bad object, worded as Kubernetes words it
 * (`Deployment.apps "web" is invalid: spec.replicas: …`), with every cause in `details.causes`.
 */
export function invalidResource(
  kindAndGroup: string,
  name: string | undefined,
  errors: readonly FieldError[],
): MarinaError {
  const causes = errors.map(formatFieldError);
  const listed = causes.length === 1 ? causes[0] : `[${causes.join(', ')}]`;
  return invalid(`${kindAndGroup} ${JSON.stringify(name ?? '')} is invalid: ${listed}`, {
    causes: errors.map((e) => ({ field: e.path, message: e.message })),
  });
}
