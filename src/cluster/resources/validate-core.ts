/** Validation of the core kinds that are not workloads: Namespace, ConfigMap, Secret, Event, Node, Lease. */
import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import type { Lease } from './coordination-schemas.ts';
import type { ConfigMap, Event, Namespace, Node, Secret } from './core-schemas.ts';
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  immutable,
  invalidValue,
  required,
  tooLong,
} from './field-errors.ts';
import { checkConfigKey, checkDns1123Label, checkQualifiedName } from './names.ts';
import { nonNegative, positive, supportedValue } from './value-checks.ts';
import { subdomainNamed, validateObjectMeta } from './validate-meta.ts';

// Kubernetes' cap on one ConfigMap's or Secret's data: it is kept whole in the store and in every watch event.
const maxDataBytes = 1024 * 1024;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const namespacedSubdomain = subdomainNamed(true);

export function validateNamespace(namespace: Namespace): FieldError[] {
  return validateObjectMeta(namespace.metadata, { namespaced: false, checkName: checkDns1123Label });
}

/** Keys and sizes of data maps; `base64Maps` hold base64 values that must decode. */
function validateDataMaps(
  plainMaps: Record<string, Record<string, string> | undefined>,
  base64Maps: Record<string, Record<string, string> | undefined>,
): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  const all = [
    ...Object.entries(plainMaps).map(([field, map]) => [field, map, false] as const),
    ...Object.entries(base64Maps).map(([field, map]) => [field, map, true] as const),
  ];
  for (const [field, map, isBase64] of all) {
    for (const [key, value] of Object.entries(map ?? {})) {
      const at = new FieldPath(field).index(key);
      for (const problem of checkConfigKey(key)) errors.push(invalidValue(at, key, problem));
      if (seen.has(key)) errors.push(duplicate(at, key));
      seen.add(key);
      if (isBase64 && !base64Pattern.test(value))
        errors.push(invalidValue(at, '<value omitted>', 'must be base64 encoded'));
      bytes += isBase64 ? Buffer.from(value, 'base64').length : Buffer.byteLength(value);
    }
  }
  if (bytes > maxDataBytes) errors.push(tooLong(new FieldPath(''), maxDataBytes));
  return errors;
}

/** Data of an immutable ConfigMap or Secret cannot change, and `immutable` cannot be unset. */
function validateImmutableData<T extends { immutable?: boolean | undefined }>(
  object: T,
  old: T | undefined,
  dataFields: readonly (keyof T & string)[],
): FieldError[] {
  if (old?.immutable !== true) return [];
  const errors: FieldError[] = [];
  if (object.immutable !== true)
    errors.push(forbidden(new FieldPath('immutable'), 'field is immutable when `immutable` is set'));
  for (const field of dataFields) {
    if (!isDeepStrictEqual(object[field] ?? {}, old[field] ?? {})) {
      errors.push(forbidden(new FieldPath(field), 'field is immutable when `immutable` is set'));
    }
  }
  return errors;
}

export function validateConfigMap(configMap: ConfigMap, old?: ConfigMap): FieldError[] {
  return [
    ...validateObjectMeta(configMap.metadata, namespacedSubdomain),
    ...validateDataMaps({ data: configMap.data }, { binaryData: configMap.binaryData }),
    ...validateImmutableData(configMap, old, ['data', 'binaryData']),
  ];
}

/** Keys each well-known Secret type must carry. */
const requiredSecretKeys: Record<string, readonly string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export function validateSecret(secret: Secret, old?: Secret): FieldError[] {
  const errors = [
    ...validateObjectMeta(secret.metadata, namespacedSubdomain),
    ...validateDataMaps({}, { data: secret.data }),
    ...validateImmutableData(secret, old, ['data']),
  ];
  for (const key of requiredSecretKeys[secret.type ?? ''] ?? []) {
    if (secret.data?.[key] === undefined) errors.push(required(new FieldPath('data').index(key)));
  }
  if (
    secret.type === 'kubernetes.io/basic-auth' &&
    secret.data?.username === undefined &&
    secret.data?.password === undefined
  ) {
    errors.push(
      required(
        new FieldPath('data').index('username'),
        'one of username or password is required for basic-auth secrets',
      ),
    );
  }
  if (old !== undefined && secret.type !== old.type)
    errors.push(immutable(new FieldPath('type'), secret.type));
  return errors;
}

export function validateEvent(event: Event): FieldError[] {
  const errors = validateObjectMeta(event.metadata, namespacedSubdomain);
  const involvedNamespace = event.involvedObject.namespace;
  if (involvedNamespace && involvedNamespace !== event.metadata.namespace) {
    errors.push(
      invalidValue(
        new FieldPath('involvedObject').child('namespace'),
        involvedNamespace,
        'does not match event.namespace',
      ),
    );
  }
  errors.push(...supportedValue(new FieldPath('type'), event.type, ['Normal', 'Warning']));
  errors.push(...nonNegative(new FieldPath('count'), event.count));
  return errors;
}

export function validateNode(node: Node): FieldError[] {
  const errors = validateObjectMeta(node.metadata, subdomainNamed(false));
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((taint, i) => {
    const at = new FieldPath('spec').child('taints').index(i);
    for (const problem of checkQualifiedName(taint.key))
      errors.push(invalidValue(at.child('key'), taint.key, problem));
    errors.push(
      ...supportedValue(at.child('effect'), taint.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
    );
    const identity = `${taint.key}:${taint.effect}`;
    if (seen.has(identity)) errors.push(duplicate(at, identity));
    seen.add(identity);
  });
  return errors;
}

export function validateLease(lease: Lease): FieldError[] {
  const errors = validateObjectMeta(lease.metadata, namespacedSubdomain);
  const spec = new FieldPath('spec');
  errors.push(...positive(spec.child('leaseDurationSeconds'), lease.spec?.leaseDurationSeconds));
  errors.push(...nonNegative(spec.child('leaseTransitions'), lease.spec?.leaseTransitions));
  return errors;
}
