/** Validation of ObjectMeta and of the label maps every kind carries (Kubernetes' ValidateObjectMeta). */
import { Buffer } from 'node:buffer';
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  invalidValue,
  required,
  tooLong,
} from './field-errors.ts';
import type { ObjectMeta } from './meta-schemas.ts';
import { checkDns1123Label, checkDns1123Subdomain, checkLabelValue, checkQualifiedName } from './names.ts';
import { nonNegative } from './value-checks.ts';

export type NameCheck = (name: string) => string[];

export interface MetaRules {
  namespaced: boolean;
  /** How this kind's names are checked: most kinds take a DNS subdomain, a Namespace a DNS label. */
  checkName: NameCheck;
}

const metadataPath = new FieldPath('metadata');
// Kubernetes' limit on all annotations of one object together.
const totalAnnotationBytes = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const problem of checkQualifiedName(key)) errors.push(invalidValue(path, key, problem));
    for (const problem of checkLabelValue(value)) errors.push(invalidValue(path.index(key), value, problem));
  }
  return errors;
}

function validateAnnotations(annotations: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    for (const problem of checkQualifiedName(key.toLowerCase()))
      errors.push(invalidValue(path, key, problem));
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > totalAnnotationBytes) errors.push(tooLong(path, totalAnnotationBytes));
  return errors;
}

function validateOwnerReferences(meta: ObjectMeta, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const refs = meta.ownerReferences ?? [];
  refs.forEach((ref, i) => {
    const at = path.index(i);
    if (ref.apiVersion === '')
      errors.push(invalidValue(at.child('apiVersion'), ref.apiVersion, 'version must not be empty'));
    if (ref.kind === '') errors.push(invalidValue(at.child('kind'), ref.kind, 'kind must not be empty'));
    if (ref.name === '') errors.push(invalidValue(at.child('name'), ref.name, 'name must not be empty'));
    if (ref.uid === '') errors.push(invalidValue(at.child('uid'), ref.uid, 'uid must not be empty'));
  });
  const controllers = refs.filter((ref) => ref.controller === true);
  if (controllers.length > 1) {
    errors.push(
      invalidValue(
        path,
        controllers.map((c) => `${c.kind}/${c.name}`),
        'Only one reference can have Controller set to true',
      ),
    );
  }
  return errors;
}

function validateFinalizers(finalizers: string[] | undefined, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  (finalizers ?? []).forEach((finalizer, i) => {
    for (const problem of checkQualifiedName(finalizer))
      errors.push(invalidValue(path.index(i), finalizer, problem));
    if (seen.has(finalizer)) errors.push(duplicate(path.index(i), finalizer));
    seen.add(finalizer);
  });
  return errors;
}

/** A `generateName` prefix is checked as the name it becomes, so a trailing '-' is fine. */
function checkGenerateName(prefix: string, checkName: NameCheck): string[] {
  const trimmed = prefix.endsWith('-') ? prefix.slice(0, -1) : prefix;
  return trimmed === '' ? [] : checkName(trimmed);
}

export function validateObjectMeta(meta: ObjectMeta, rules: MetaRules, path = metadataPath): FieldError[] {
  const errors: FieldError[] = [];
  if (meta.name === undefined || meta.name === '') {
    if (meta.generateName === undefined || meta.generateName === '') {
      errors.push(required(path.child('name'), 'name or generateName is required'));
    }
  } else {
    for (const problem of rules.checkName(meta.name))
      errors.push(invalidValue(path.child('name'), meta.name, problem));
  }
  if (meta.generateName) {
    for (const problem of checkGenerateName(meta.generateName, rules.checkName)) {
      errors.push(invalidValue(path.child('generateName'), meta.generateName, problem));
    }
  }
  if (rules.namespaced) {
    if (!meta.namespace) errors.push(required(path.child('namespace')));
    else
      for (const problem of checkDns1123Label(meta.namespace))
        errors.push(invalidValue(path.child('namespace'), meta.namespace, problem));
  } else if (meta.namespace) {
    errors.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errors.push(
    ...nonNegative(path.child('generation'), meta.generation),
    ...validateLabels(meta.labels, path.child('labels')),
    ...validateAnnotations(meta.annotations, path.child('annotations')),
    ...validateOwnerReferences(meta, path.child('ownerReferences')),
    ...validateFinalizers(meta.finalizers, path.child('finalizers')),
  );
  return errors;
}

/** Rules for kinds named by a DNS subdomain (most of them). */
export const subdomainNamed = (namespaced: boolean): MetaRules => ({
  namespaced,
  checkName: checkDns1123Subdomain,
});
