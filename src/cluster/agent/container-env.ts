/**
 * A container's environment as Kubernetes builds it: `envFrom` sources first (ConfigMaps and Secrets,
 * each key with the source's prefix), then `env` entries in order (literal values with `$(VAR)`
 * references to what came before, or values from a ConfigMap or Secret key or a field of the pod); a
 * later definition of a name replaces an earlier one. Pure: the referenced objects are looked up by the
 * caller, and a missing required one is Kubernetes' CreateContainerConfigError, reported, not thrown.
 */
import type { ConfigMap, Secret } from '../resources/core-schemas.ts';
import type { Container, Pod } from '../resources/pod-schemas.ts';

/** The ConfigMaps and Secrets of the pod's namespace a container refers to (undefined: does not exist). */
export interface EnvObjects {
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
}

/** What the pod's fields resolve to that only the agent knows. */
export interface PodRuntimeFields {
  podIP: string;
  hostIP: string;
}

export type EnvResult = { ok: true; env: Map<string, string> } | { ok: false; message: string };

/** The names of the ConfigMaps and Secrets the containers' env, envFrom and volumes refer to. */
export function referencedObjects(pod: Pod): { configMaps: string[]; secrets: string[] } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef?.name) configMaps.add(source.configMapRef.name);
      if (source.secretRef?.name) secrets.add(source.secretRef.name);
    }
    for (const variable of container.env ?? []) {
      if (variable.valueFrom?.configMapKeyRef?.name) configMaps.add(variable.valueFrom.configMapKeyRef.name);
      if (variable.valueFrom?.secretKeyRef?.name) secrets.add(variable.valueFrom.secretKeyRef.name);
    }
  }
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.configMap?.name) configMaps.add(volume.configMap.name);
    if (volume.secret?.secretName) secrets.add(volume.secret.secretName);
  }
  return { configMaps: [...configMaps], secrets: [...secrets] };
}

export function resolveEnv(
  container: Container,
  pod: Pod,
  objects: EnvObjects,
  fields: PodRuntimeFields,
): EnvResult {
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef) {
      const name = source.configMapRef.name ?? '';
      const found = objects.configMap(name);
      if (!found) {
        if (source.configMapRef.optional) continue;
        return { ok: false, message: `configmap "${name}" not found` };
      }
      for (const [key, value] of Object.entries(found.data ?? {})) env.set(`${prefix}${key}`, value);
    }
    if (source.secretRef) {
      const name = source.secretRef.name ?? '';
      const found = objects.secret(name);
      if (!found) {
        if (source.secretRef.optional) continue;
        return { ok: false, message: `secret "${name}" not found` };
      }
      for (const [key, value] of Object.entries(found.data ?? {}))
        env.set(`${prefix}${key}`, decodeSecretValue(value));
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env.set(variable.name, expandReferences(variable.value ?? '', env));
      continue;
    }
    if (from.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const value = objects.configMap(name)?.data?.[key];
      if (value === undefined) {
        if (optional) continue;
        const what = objects.configMap(name)
          ? `key "${key}" not found in configmap "${name}"`
          : `configmap "${name}" not found`;
        return { ok: false, message: `couldn't find ${what} (env ${variable.name})` };
      }
      env.set(variable.name, value);
    } else if (from.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      const value = objects.secret(name)?.data?.[key];
      if (value === undefined) {
        if (optional) continue;
        const what = objects.secret(name)
          ? `key "${key}" not found in secret "${name}"`
          : `secret "${name}" not found`;
        return { ok: false, message: `couldn't find ${what} (env ${variable.name})` };
      }
      env.set(variable.name, decodeSecretValue(value));
    } else if (from.fieldRef) {
      const value = podFieldValue(pod, from.fieldRef.fieldPath, fields);
      if (value === undefined)
        return {
          ok: false,
          message: `unsupported fieldPath "${from.fieldRef.fieldPath}" (env ${variable.name})`,
        };
      env.set(variable.name, value);
    }
  }
  return { ok: true, env };
}

/** The `NAME=value` list the engine takes. */
export function envList(env: ReadonlyMap<string, string>): string[] {
  return [...env].map(([name, value]) => `${name}=${value}`);
}

/**
 * Kubernetes' `$(VAR)` expansion: a reference to a defined variable becomes its value, an unknown one
 * stays as written, and `$$` is a literal `$` (so `$$(VAR)` stays `$(VAR)`).
 */
export function expandReferences(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && env.has(name) ? (env.get(name) as string) : match;
  });
}

/** The downward API's fields an env var may take (`fieldRef.fieldPath`); undefined for others. */
export function podFieldValue(pod: Pod, fieldPath: string, fields: PodRuntimeFields): string | undefined {
  const mapEntry = /^metadata\.(labels|annotations)\['([^']*)'\]$/.exec(fieldPath);
  if (mapEntry) return pod.metadata[mapEntry[1] as 'labels' | 'annotations']?.[mapEntry[2] as string] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return fields.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return fields.hostIP;
    default:
      return undefined;
  }
}

/** Secret values are base64 in the API; containers see the bytes. */
export function decodeSecretValue(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}
