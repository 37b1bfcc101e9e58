/**
 * Validation of a PodSpec (Kubernetes' ValidatePodSpec, the parts Marina's kinds use): containers, ports,
 * env, resources, mounts, probes, volumes, scheduling constraints. Workload kinds call it on their
 * template with their own allowed restart policies.
 */
import { isIPv4 } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import {
  type FieldError,
  FieldPath,
  duplicate,
  forbidden,
  invalidValue,
  notSupported,
  required,
} from './field-errors.ts';
import { checkConfigKey, checkDns1123Label, checkDns1123Subdomain } from './names.ts';
import type { PodDnsConfig, PodSpec, Toleration, Volume } from './pod-schemas.ts';
import { quantitySyntax, tryParseQuantity } from './quantity.ts';
import { validateContainer } from './validate-container.ts';
import { validateLabels } from './validate-meta.ts';
import { validateAffinity, validateToleration, validateTopologySpread } from './validate-scheduling.ts';
import { exactlyOne, nonNegative, positive, setFields, supportedValue } from './value-checks.ts';

export const podRestartPolicies = ['Always', 'OnFailure', 'Never'] as const;
export const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
/** Kubernetes' limits on dnsConfig (glibc reads at most 3 nameservers). */
export const maxDnsNameservers = 3;
export const maxDnsSearchPaths = 32;
export const maxDnsSearchListChars = 2048;

export interface PodSpecRules {
  /** The restart policies this kind allows (a Deployment's pods must be Always, a Job's must not). */
  restartPolicies: readonly string[];
}
const hostPathTypes = [
  '',
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
];
const volumeSources = ['emptyDir', 'hostPath', 'configMap', 'secret', 'persistentVolumeClaim'] as const;

function relativePathProblems(path: FieldPath, value: string): FieldError[] {
  if (value === '') return [required(path)];
  if (value.startsWith('/')) return [invalidValue(path, value, 'must be a relative path')];
  if (value.split('/').includes('..')) return [invalidValue(path, value, "must not contain '..'")];
  return [];
}

function validateVolume(volume: Volume, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  if (volume.name === '') errors.push(required(path.child('name')));
  else
    for (const problem of checkDns1123Label(volume.name))
      errors.push(invalidValue(path.child('name'), volume.name, problem));
  errors.push(...exactlyOne(path, setFields(volume, volumeSources), 'volume type'));
  if (volume.emptyDir) {
    errors.push(
      ...supportedValue(path.child('emptyDir').child('medium'), volume.emptyDir.medium, ['', 'Memory']),
    );
    const sizeLimit = volume.emptyDir.sizeLimit;
    if (sizeLimit !== undefined && tryParseQuantity(sizeLimit) === undefined) {
      errors.push(invalidValue(path.child('emptyDir').child('sizeLimit'), sizeLimit, quantitySyntax));
    }
  }
  if (volume.hostPath) {
    const at = path.child('hostPath');
    if (volume.hostPath.path === '') errors.push(required(at.child('path')));
    else if (!volume.hostPath.path.startsWith('/'))
      errors.push(invalidValue(at.child('path'), volume.hostPath.path, 'must be an absolute path'));
    errors.push(...supportedValue(at.child('type'), volume.hostPath.type, hostPathTypes));
  }
  const projections: [
    string,
    string | undefined,
    { items?: { key: string; path: string }[] | undefined; defaultMode?: number | undefined } | undefined,
  ][] = [
    ['configMap', volume.configMap?.name, volume.configMap],
    ['secret', volume.secret?.secretName, volume.secret],
  ];
  for (const [source, name, projection] of projections) {
    if (!projection) continue;
    const at = path.child(source);
    if (!name) errors.push(required(at.child(source === 'secret' ? 'secretName' : 'name')));
    (projection.items ?? []).forEach((item, i) => {
      for (const problem of checkConfigKey(item.key))
        errors.push(invalidValue(at.child('items').index(i).child('key'), item.key, problem));
      errors.push(...relativePathProblems(at.child('items').index(i).child('path'), item.path));
    });
    const mode = projection.defaultMode;
    if (mode !== undefined && (mode < 0 || mode > 0o777)) {
      errors.push(
        invalidValue(
          at.child('defaultMode'),
          mode,
          'must be a number between 0 and 0777 (octal), both inclusive',
        ),
      );
    }
  }
  if (volume.persistentVolumeClaim) {
    const claimName = volume.persistentVolumeClaim.claimName;
    const at = path.child('persistentVolumeClaim').child('claimName');
    if (claimName === '') errors.push(required(at));
    else
      for (const problem of checkDns1123Subdomain(claimName))
        errors.push(invalidValue(at, claimName, problem));
  }
  return errors;
}

/** Two containers of a pod cannot bind the same host port and protocol, and with hostNetwork they are the same port. */
function validateHostPorts(spec: PodSpec, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const used = new Set<string>();
  spec.containers.forEach((container, c) => {
    (container.ports ?? []).forEach((port, p) => {
      const at = path.child('containers').index(c).child('ports').index(p);
      if (
        spec.hostNetwork === true &&
        port.hostPort !== undefined &&
        port.hostPort !== 0 &&
        port.hostPort !== port.containerPort
      ) {
        errors.push(
          invalidValue(
            at.child('hostPort'),
            port.hostPort,
            'must match `containerPort` when `hostNetwork` is true',
          ),
        );
      }
      const hostPort = spec.hostNetwork === true ? port.containerPort : port.hostPort;
      if (hostPort === undefined || hostPort === 0) return;
      const key = `${hostPort}/${port.protocol ?? 'TCP'}/${port.hostIP ?? ''}`;
      if (used.has(key))
        errors.push(duplicate(at.child('hostPort'), `${hostPort}/${port.protocol ?? 'TCP'}`));
      used.add(key);
    });
  });
  return errors;
}

/** Kubernetes' validateDNSPolicy and validatePodDNSConfig: policy None brings its own nameservers. */
function validateDns(spec: PodSpec, path: FieldPath): FieldError[] {
  const errors = supportedValue(path.child('dnsPolicy'), spec.dnsPolicy, dnsPolicies);
  const config = spec.dnsConfig;
  const at = path.child('dnsConfig');
  if (spec.dnsPolicy === 'None') {
    if (config === undefined)
      return [...errors, required(at, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if ((config.nameservers ?? []).length === 0) {
      return [
        ...errors,
        required(
          at.child('nameservers'),
          'must provide at least one DNS nameserver when `dnsPolicy` is None',
        ),
      ];
    }
  }
  return config === undefined ? errors : [...errors, ...validateDnsConfig(config, at)];
}

function validateDnsConfig(config: PodDnsConfig, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const nameservers = config.nameservers ?? [];
  if (nameservers.length > maxDnsNameservers) {
    errors.push(
      invalidValue(
        path.child('nameservers'),
        nameservers,
        `must not have more than ${maxDnsNameservers} nameservers`,
      ),
    );
  }
  nameservers.forEach((nameserver, i) => {
    // Kubernetes takes IPv6 too; a Marina pod's network is IPv4 only.
    if (!isIPv4(nameserver))
      errors.push(invalidValue(path.child('nameservers').index(i), nameserver, 'must be an IPv4 address'));
  });
  const searches = config.searches ?? [];
  if (searches.length > maxDnsSearchPaths) {
    errors.push(
      invalidValue(
        path.child('searches'),
        searches,
        `must not have more than ${maxDnsSearchPaths} search paths`,
      ),
    );
  }
  if (searches.join(' ').length > maxDnsSearchListChars) {
    errors.push(
      invalidValue(
        path.child('searches'),
        searches,
        `must not have more than ${maxDnsSearchListChars} characters (including spaces) in the search list`,
      ),
    );
  }
  searches.forEach((search, i) => {
    // A trailing dot is fine: the name is absolute either way.
    for (const problem of checkDns1123Subdomain(search.replace(/\.$/, '')))
      errors.push(invalidValue(path.child('searches').index(i), search, problem));
  });
  (config.options ?? []).forEach((option, i) => {
    const at = path.child('options').index(i);
    if (!option.name) errors.push(required(at, 'must not be empty'));
    // Not in Kubernetes' checks, but whitespace would split the option, or the resolv.conf line.
    for (const [field, value] of [
      ['name', option.name],
      ['value', option.value],
    ] as const) {
      if (value !== undefined && /\s/.test(value))
        errors.push(invalidValue(at.child(field), value, 'must not contain whitespace'));
    }
  });
  return errors;
}

export function validatePodSpec(spec: PodSpec, path: FieldPath, rules: PodSpecRules): FieldError[] {
  const errors: FieldError[] = [];
  const volumeNames = new Set<string>();
  (spec.volumes ?? []).forEach((volume, i) => {
    errors.push(...validateVolume(volume, path.child('volumes').index(i)));
    if (volumeNames.has(volume.name))
      errors.push(duplicate(path.child('volumes').index(i).child('name'), volume.name));
    volumeNames.add(volume.name);
  });

  if (spec.containers.length === 0) errors.push(required(path.child('containers')));
  const containerNames = new Set<string>();
  for (const [listName, isInit] of [
    ['initContainers', true],
    ['containers', false],
  ] as const) {
    (spec[listName] ?? []).forEach((container, i) => {
      const at = path.child(listName).index(i);
      errors.push(...validateContainer(container, at, volumeNames, isInit));
      if (container.name !== '' && containerNames.has(container.name))
        errors.push(duplicate(at.child('name'), container.name));
      containerNames.add(container.name);
    });
  }
  errors.push(...validateHostPorts(spec, path));

  if (spec.restartPolicy === undefined) {
    errors.push(
      required(
        path.child('restartPolicy'),
        `valid values: ${rules.restartPolicies.map((p) => JSON.stringify(p)).join(', ')}`,
      ),
    );
  } else if (!rules.restartPolicies.includes(spec.restartPolicy)) {
    errors.push(notSupported(path.child('restartPolicy'), spec.restartPolicy, rules.restartPolicies));
  }
  errors.push(
    ...nonNegative(path.child('terminationGracePeriodSeconds'), spec.terminationGracePeriodSeconds),
  );
  errors.push(...positive(path.child('activeDeadlineSeconds'), spec.activeDeadlineSeconds));
  if (spec.nodeName)
    for (const problem of checkDns1123Subdomain(spec.nodeName))
      errors.push(invalidValue(path.child('nodeName'), spec.nodeName, problem));
  errors.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  if (spec.affinity) errors.push(...validateAffinity(spec.affinity, path.child('affinity')));
  (spec.tolerations ?? []).forEach((toleration, i) => {
    errors.push(...validateToleration(toleration, path.child('tolerations').index(i)));
  });
  errors.push(
    ...validateTopologySpread(spec.topologySpreadConstraints ?? [], path.child('topologySpreadConstraints')),
  );
  if (spec.securityContext) {
    const at = path.child('securityContext');
    errors.push(...nonNegative(at.child('runAsUser'), spec.securityContext.runAsUser));
    errors.push(...nonNegative(at.child('runAsGroup'), spec.securityContext.runAsGroup));
    errors.push(...nonNegative(at.child('fsGroup'), spec.securityContext.fsGroup));
  }
  errors.push(...validateDns(spec, path));
  return errors;
}

const specPath = new FieldPath('spec');

/**
 * What a running pod's spec may change (Kubernetes' rule): container images, activeDeadlineSeconds,
 * tolerations only by addition, and nodeName once, from unset (binding). Everything else needs a new pod.
 */
export function validatePodSpecUpdate(spec: PodSpec, old: PodSpec): FieldError[] {
  const comparable: PodSpec = {
    ...spec,
    containers: spec.containers.map((c, i) => ({ ...c, image: old.containers[i]?.image ?? c.image })),
    initContainers: spec.initContainers?.map((c, i) => ({
      ...c,
      image: old.initContainers?.[i]?.image ?? c.image,
    })),
    activeDeadlineSeconds: old.activeDeadlineSeconds,
    // Binding sets nodeName once; after that it is compared like any field.
    nodeName: old.nodeName ? spec.nodeName : old.nodeName,
    tolerations: keepsTolerations(spec.tolerations, old.tolerations) ? old.tolerations : spec.tolerations,
  };
  if (comparable.initContainers === undefined) delete comparable.initContainers;
  if (isDeepStrictEqual(withoutUndefined(comparable), withoutUndefined(old))) return [];
  return [
    forbidden(
      specPath,
      'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) and `spec.nodeName` (only to bind an unscheduled pod)',
    ),
  ];
}

function keepsTolerations(next: Toleration[] | undefined, old: Toleration[] | undefined): boolean {
  return (old ?? []).every((o) =>
    (next ?? []).some((n) => isDeepStrictEqual(withoutUndefined(n), withoutUndefined(o))),
  );
}

/** Objects compared as JSON would store them: an `undefined` field is no field. */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
