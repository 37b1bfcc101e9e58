/**
 * Finds the fields of a manifest Marina will not act on: fields the kind's schema does not have (parsing
 * strips them) and fields it has but marks `acceptedButIgnored`. The API server returns them as warnings,
 * so no field of a user's manifest is dropped or ignored in silence.
 *
 * This walks the zod schema's definition next to the raw object; `_zod.def` is zod 4's documented surface
 * for tools that read schemas.
 */
import type { z } from 'zod';
import { FieldPath } from './field-errors.ts';
import { notActedOn } from './meta-schemas.ts';

export interface UnsupportedField {
  path: string;
  /** Why it has no effect. */
  why: string;
}

type AnySchema = z.core.$ZodType;

function walk(schema: AnySchema, value: unknown, path: FieldPath, found: UnsupportedField[]): void {
  if (value === undefined || value === null) return;
  const ignored = notActedOn.get(schema);
  if (ignored) {
    found.push({ path: path.text, why: ignored.why });
    return;
  }
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
      walk(def.innerType, value, path, found);
      return;
    case 'lazy':
      walk(def.getter(), value, path, found);
      return;
    case 'pipe':
      walk(def.in, value, path, found);
      return;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return;
      for (const [key, child] of Object.entries(value)) {
        const childSchema = def.shape[key];
        if (childSchema) walk(childSchema, child, path.child(key), found);
        else if (child !== null && def.catchall === undefined) {
          found.push({ path: path.child(key).text, why: 'unknown field' });
        }
      }
      return;
    }
    case 'array':
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) walk(def.element, item, path.index(i), found);
      }
      return;
    case 'record':
      if (typeof value === 'object' && !Array.isArray(value)) {
        for (const [key, child] of Object.entries(value)) walk(def.valueType, child, path.index(key), found);
      }
      return;
    case 'union': {
      // The option the value is an instance of decides which fields are known.
      const option = def.options.find((o) => (o as z.ZodType).safeParse(value).success);
      if (option) walk(option, value, path, found);
      return;
    }
    default:
      return;
  }
}

/** Fields of `object` that `schema` does not know or marks as not acted on, by field path. */
export function fieldsNotActedOn(schema: AnySchema, object: unknown): UnsupportedField[] {
  const found: UnsupportedField[] = [];
  walk(schema, object, new FieldPath(), found);
  return found;
}

/** A warning line as Kubernetes words it for unknown fields (`unknown field "spec.foo"`). */
export function formatUnsupportedField(field: UnsupportedField): string {
  return field.why === 'unknown field'
    ? `unknown field ${JSON.stringify(field.path)}`
    : `${field.path}: ${field.why}`;
}
