/**
 * Schemas shared by every kind: ObjectMeta, owner references, label selectors, conditions and the small
 * value types (times, quantities, int-or-string). Field names and types are Kubernetes' own, so a manifest
 * written for Kubernetes parses unchanged.
 *
 * Schemas check shapes and types only. Ranges and syntax (a negative replica count, a bad label key) are
 * the validators' job, because they report them in Kubernetes' field-path style with the offending value.
 * Unknown fields are stripped by parsing and reported by `unsupportedFields` (unsupported-fields.ts).
 */
import { z } from 'zod';

/**
 * Fields Marina accepts in a manifest (they are part of the kind) but does not act on. They are kept in the
 * stored object and named in a warning, so a user is never misled into thinking they took effect.
 */
export const notActedOn = z.registry<{ why: string }>();

/** Marks a copy of `schema`, so that other fields sharing the same schema stay unmarked. */
export function acceptedButIgnored<S extends z.ZodType>(schema: S, why: string): S {
  const marked = schema.clone();
  notActedOn.add(marked, { why });
  return marked;
}

/** RFC 3339 time as Kubernetes writes it (`2024-05-01T10:00:00Z`); fractional seconds allowed (MicroTime). */
export const time = z.iso.datetime({ offset: true });

/** A quantity (`500m`, `128Mi`, `2`): YAML often makes plain numbers numbers, Kubernetes accepts both. */
export const quantity = z.union([z.string(), z.number()]);
export const resourceList = z.record(z.string(), quantity);

/** Kubernetes' IntOrString: a port number or a port name, a replica count or a percentage. */
export const intOrString = z.union([z.number().int(), z.string()]);

const stringMap = z.record(z.string(), z.string());

export const ownerReference = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

export const objectMeta = z.object({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: time.optional(),
  deletionTimestamp: time.optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  ownerReferences: z.array(ownerReference).optional(),
  finalizers: z.array(z.string()).optional(),
});

export const labelSelectorRequirement = z.object({
  key: z.string(),
  operator: z.string(),
  values: z.array(z.string()).optional(),
});

export const labelSelector = z.object({
  matchLabels: stringMap.optional(),
  matchExpressions: z.array(labelSelectorRequirement).optional(),
});

/** ObjectReference, as Events and CronJob status use it. */
export const objectReference = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const localObjectReference = z.object({ name: z.string().optional() });

/** The condition shape most kinds share; kinds with an extra time field extend it. */
export const condition = z.object({
  type: z.string(),
  status: z.string(),
  lastTransitionTime: time.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export type ObjectMeta = z.infer<typeof objectMeta>;
export type OwnerReference = z.infer<typeof ownerReference>;
export type LabelSelector = z.infer<typeof labelSelector>;
export type LabelSelectorRequirement = z.infer<typeof labelSelectorRequirement>;
export type ObjectReference = z.infer<typeof objectReference>;
export type Quantity = z.infer<typeof quantity>;
export type ResourceList = z.infer<typeof resourceList>;
export type IntOrString = z.infer<typeof intOrString>;
