/**
 * One served kind: where it lives (group, version, plural), its schema, defaulter and validator, and the
 * admission the API server runs on every write — parse, warn about fields not acted on, default,
 * validate — so every kind is admitted the same way.
 */
import type { z } from 'zod';
import { type FieldError, FieldPath, invalidResource, invalidValue, required } from './field-errors.ts';
import type { ObjectMeta } from './meta-schemas.ts';
import { fieldsNotActedOn, formatUnsupportedField } from './unsupported-fields.ts';

/**
 * What every kind's object has; the rest is kind-specific. A type, not an interface, so that it stays
 * assignable to the API server's open `KubeObject` shape.
 */
export type ObjectEnvelope = {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
};

export interface Admitted<T> {
  object: T;
  /** Fields Marina drops or keeps without acting on, worded for a client's warning. */
  warnings: string[];
}

export interface KindDefinition<T extends ObjectEnvelope> {
  /** '' for the core group (`/api/v1`). */
  group: string;
  version: string;
  kind: string;
  plural: string;
  shortNames: readonly string[];
  namespaced: boolean;
  /** Whether `status` is written only through the `/status` subresource. */
  hasStatus: boolean;
  schema: z.ZodType<T>;
  applyDefaults(object: T): T;
  /**
   * On update, before validation: what changes of other fields imply (Kubernetes' PrepareForUpdate),
   * e.g. a Service's node ports dropped when it stops being a NodePort Service.
   */
  prepareForUpdate?(object: T, old: T): T;
  validate(object: T, old?: T): FieldError[];
  /** Fields `?fieldSelector=` may test besides metadata.name and metadata.namespace (kind-specific ones). */
  fieldSelectors: readonly string[];
}

export interface ResourceKind<T extends ObjectEnvelope = ObjectEnvelope> extends KindDefinition<T> {
  apiVersion: string;
  /** `deployment`: the lower-case kind, as `marina get deployment` takes it. */
  singular: string;
  /** Every field `?fieldSelector=` may test: metadata.name, metadata.namespace and the kind's own. */
  selectableFields: readonly string[];
  /** `Deployment.apps`, `Pod`: how Kubernetes names the kind in error messages. */
  qualifiedKind: string;
  /**
   * Parses a manifest: unknown fields are stripped and named in `warnings`, type errors throw Invalid
   * naming each field path. No defaulting, no validation.
   */
  parse(object: unknown): Admitted<T>;
  /**
   * Parses, defaults and validates an object being created (`old` undefined) or updated; throws Invalid
   * naming each field path that is wrong. Runs after the API server has set the metadata it owns.
   */
  admit(object: unknown, old: unknown): Admitted<T>;
}

/** JSON null means "not set" in Kubernetes' decoding (`creationTimestamp: null` in generated YAML). */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

function issuePath(path: readonly PropertyKey[]): FieldPath {
  return path.reduce<FieldPath>(
    (at, segment) => (typeof segment === 'number' ? at.index(segment) : at.child(String(segment))),
    new FieldPath(),
  );
}

/** zod's issues as Kubernetes-style field errors: a missing field is required, a wrong one invalid. */
function issuesToFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => {
    const path = issuePath(issue.path);
    if (issue.code === 'invalid_type' && issue.input === undefined) return required(path);
    const detail = issue.message.replace(/^Invalid input: /, '');
    if (issue.code === 'unrecognized_keys') return invalidValue(path, issue.keys, detail);
    return invalidValue(path, issue.input, detail);
  });
}

export function defineKind<T extends ObjectEnvelope>(definition: KindDefinition<T>): ResourceKind<T> {
  const apiVersion = definition.group ? `${definition.group}/${definition.version}` : definition.version;
  const qualifiedKind = definition.group ? `${definition.kind}.${definition.group}` : definition.kind;

  function parse(raw: unknown): Admitted<T> {
    const object = withoutNulls(raw);
    const result = definition.schema.safeParse(object, { reportInput: true });
    if (!result.success) {
      const name = (object as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
      throw invalidResource(
        qualifiedKind,
        typeof name === 'string' ? name : undefined,
        issuesToFieldErrors(result.error.issues),
      );
    }
    return {
      object: result.data,
      warnings: fieldsNotActedOn(definition.schema, object).map(formatUnsupportedField),
    };
  }

  return {
    ...definition,
    apiVersion,
    singular: definition.kind.toLowerCase(),
    selectableFields: ['metadata.name', 'metadata.namespace', ...definition.fieldSelectors],
    qualifiedKind,
    parse,
    admit(raw: unknown, old: unknown): Admitted<T> {
      const { object, warnings } = parse(raw);
      // The stored object passed admission when it was written; only its defaults may be newer.
      const previous = old === undefined ? undefined : definition.applyDefaults(old as T);
      const fresh = definition.applyDefaults(object);
      const defaulted = previous && definition.prepareForUpdate ? definition.prepareForUpdate(fresh, previous) : fresh;
      const errors = definition.validate(defaulted, previous);
      if (errors.length > 0) throw invalidResource(qualifiedKind, defaulted.metadata.name, errors);
      return { object: defaulted, warnings };
    },
  };
}
