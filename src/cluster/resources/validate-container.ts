/** Validation of one container of a PodSpec: image, ports, env, resources, mounts, probes, hooks. */
import {
  type FieldError,
  type FieldPath,
  duplicate,
  forbidden,
  invalidValue,
  notFound,
  notSupported,
  required,
} from './field-errors.ts';
import {
  checkConfigKey,
  checkDns1123Label,
  checkEnvVarName,
  checkPortName,
  checkQualifiedName,
} from './names.ts';
import type { Container, EnvVar, LifecycleHandler, Probe } from './pod-schemas.ts';
import { quantitySyntax, tryParseQuantity } from './quantity.ts';
import {
  exactlyOne,
  nonNegative,
  portNumber,
  portNumberOrName,
  positive,
  setFields,
  supportedValue,
} from './value-checks.ts';

const protocols = ['TCP', 'UDP', 'SCTP'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const fieldRefPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const standardResources = ['cpu', 'memory', 'ephemeral-storage'];

function validateHandler(handler: Probe | LifecycleHandler, path: FieldPath): FieldError[] {
  const kinds = setFields(handler as Record<string, unknown>, ['exec', 'httpGet', 'tcpSocket', 'sleep']);
  const errors = exactlyOne(path, kinds, 'handler type');
  if (handler.exec && (handler.exec.command ?? []).length === 0)
    errors.push(required(path.child('exec').child('command')));
  if (handler.httpGet) {
    errors.push(...portNumberOrName(path.child('httpGet').child('port'), handler.httpGet.port));
    errors.push(
      ...supportedValue(path.child('httpGet').child('scheme'), handler.httpGet.scheme, ['HTTP', 'HTTPS']),
    );
  }
  if (handler.tcpSocket)
    errors.push(...portNumberOrName(path.child('tcpSocket').child('port'), handler.tcpSocket.port));
  if ('sleep' in handler && handler.sleep)
    errors.push(...nonNegative(path.child('sleep').child('seconds'), handler.sleep.seconds));
  return errors;
}

function validateProbe(probe: Probe, path: FieldPath, successMustBeOne: boolean): FieldError[] {
  const errors = validateHandler(probe, path);
  errors.push(...nonNegative(path.child('initialDelaySeconds'), probe.initialDelaySeconds));
  for (const field of ['timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    errors.push(...positive(path.child(field), probe[field]));
  }
  if (successMustBeOne && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    errors.push(invalidValue(path.child('successThreshold'), probe.successThreshold, 'must be 1'));
  }
  return errors;
}

function validateEnvVar(env: EnvVar, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  if (env.name === '') errors.push(required(path.child('name')));
  else
    for (const problem of checkEnvVarName(env.name))
      errors.push(invalidValue(path.child('name'), env.name, problem));
  const from = env.valueFrom;
  if (!from) return errors;
  if (env.value)
    errors.push(invalidValue(path.child('valueFrom'), '', 'may not be specified when `value` is not empty'));
  const sources = setFields(from, ['fieldRef', 'configMapKeyRef', 'secretKeyRef']);
  if (sources.length === 0) {
    errors.push(
      invalidValue(
        path.child('valueFrom'),
        '',
        'must specify one of: `fieldRef`, `configMapKeyRef` or `secretKeyRef`',
      ),
    );
  } else if (sources.length > 1) {
    errors.push(
      invalidValue(path.child('valueFrom'), '', 'may not have more than one field specified at a time'),
    );
  }
  for (const refName of ['configMapKeyRef', 'secretKeyRef'] as const) {
    const ref = from[refName];
    if (!ref) continue;
    const at = path.child('valueFrom').child(refName);
    if (!ref.name) errors.push(required(at.child('name')));
    for (const problem of checkConfigKey(ref.key))
      errors.push(invalidValue(at.child('key'), ref.key, problem));
  }
  if (from.fieldRef) {
    const fieldPath = from.fieldRef.fieldPath;
    const labelOrAnnotation = /^metadata\.(labels|annotations)\['[^']+'\]$/.test(fieldPath);
    if (!labelOrAnnotation && !fieldRefPaths.includes(fieldPath)) {
      errors.push(
        notSupported(path.child('valueFrom').child('fieldRef').child('fieldPath'), fieldPath, fieldRefPaths),
      );
    }
  }
  return errors;
}

function validateResources(container: Container, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const parsed: Record<'requests' | 'limits', Map<string, number>> = {
    requests: new Map(),
    limits: new Map(),
  };
  for (const listName of ['requests', 'limits'] as const) {
    for (const [name, quantity] of Object.entries(container.resources?.[listName] ?? {})) {
      const at = path.child(listName).index(name);
      if (!standardResources.includes(name) && !name.startsWith('hugepages-')) {
        for (const problem of checkQualifiedName(name)) errors.push(invalidValue(at, name, problem));
        if (!name.includes('/'))
          errors.push(invalidValue(at, name, 'must be a standard resource type or fully qualified'));
      }
      const value = tryParseQuantity(quantity);
      if (value === undefined) errors.push(invalidValue(at, quantity, quantitySyntax));
      else if (value < 0) errors.push(invalidValue(at, quantity, 'must be greater than or equal to 0'));
      else parsed[listName].set(name, value);
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name);
    if (limit !== undefined && request > limit) {
      const original = container.resources?.requests?.[name];
      const limitText = container.resources?.limits?.[name];
      errors.push(
        invalidValue(
          path.child('requests'),
          original,
          `must be less than or equal to ${name} limit of ${limitText}`,
        ),
      );
    }
  }
  return errors;
}

export function validateContainer(
  container: Container,
  path: FieldPath,
  volumeNames: ReadonlySet<string>,
  isInit: boolean,
): FieldError[] {
  const errors: FieldError[] = [];
  if (container.name === '') errors.push(required(path.child('name')));
  else
    for (const problem of checkDns1123Label(container.name))
      errors.push(invalidValue(path.child('name'), container.name, problem));
  if (container.image === undefined || container.image.trim() === '')
    errors.push(required(path.child('image')));
  errors.push(...supportedValue(path.child('imagePullPolicy'), container.imagePullPolicy, pullPolicies));

  const portNames = new Set<string>();
  (container.ports ?? []).forEach((port, i) => {
    const at = path.child('ports').index(i);
    errors.push(...portNumber(at.child('containerPort'), port.containerPort));
    if (port.hostPort !== undefined && port.hostPort !== 0)
      errors.push(...portNumber(at.child('hostPort'), port.hostPort));
    errors.push(...supportedValue(at.child('protocol'), port.protocol, protocols));
    if (port.name !== undefined) {
      for (const problem of checkPortName(port.name))
        errors.push(invalidValue(at.child('name'), port.name, problem));
      if (portNames.has(port.name)) errors.push(duplicate(at.child('name'), port.name));
      portNames.add(port.name);
    }
  });

  (container.env ?? []).forEach((env, i) => {
    errors.push(...validateEnvVar(env, path.child('env').index(i)));
  });
  (container.envFrom ?? []).forEach((source, i) => {
    const at = path.child('envFrom').index(i);
    const refs = setFields(source, ['configMapRef', 'secretRef']);
    if (refs.length !== 1) {
      errors.push(
        invalidValue(
          at,
          '',
          refs.length === 0
            ? 'must specify one of: `configMapRef` or `secretRef`'
            : 'may not have more than one field specified at a time',
        ),
      );
    }
    for (const ref of refs) if (!source[ref]?.name) errors.push(required(at.child(ref).child('name')));
    if (source.prefix)
      for (const problem of checkEnvVarName(source.prefix))
        errors.push(invalidValue(at.child('prefix'), source.prefix, problem));
  });

  errors.push(...validateResources(container, path.child('resources')));

  const mountPaths = new Set<string>();
  (container.volumeMounts ?? []).forEach((mount, i) => {
    const at = path.child('volumeMounts').index(i);
    if (mount.name === '') errors.push(required(at.child('name')));
    else if (!volumeNames.has(mount.name)) errors.push(notFound(at.child('name'), mount.name));
    if (mount.mountPath === '') errors.push(required(at.child('mountPath')));
    else if (mountPaths.has(mount.mountPath))
      errors.push(invalidValue(at.child('mountPath'), mount.mountPath, 'must be unique'));
    mountPaths.add(mount.mountPath);
    if (mount.subPath !== undefined) {
      if (mount.subPath.startsWith('/'))
        errors.push(invalidValue(at.child('subPath'), mount.subPath, 'must be a relative path'));
      if (mount.subPath.split('/').includes('..'))
        errors.push(invalidValue(at.child('subPath'), mount.subPath, "must not contain '..'"));
    }
  });

  for (const [probeName, successMustBeOne] of [
    ['livenessProbe', true],
    ['readinessProbe', false],
    ['startupProbe', true],
  ] as const) {
    const probe = container[probeName];
    if (!probe) continue;
    if (isInit) errors.push(forbidden(path.child(probeName), 'may not be set for init containers'));
    else errors.push(...validateProbe(probe, path.child(probeName), successMustBeOne));
  }
  for (const hook of ['preStop', 'postStart'] as const) {
    const handler = container.lifecycle?.[hook];
    if (handler) errors.push(...validateHandler(handler, path.child('lifecycle').child(hook)));
  }

  const security = container.securityContext;
  if (security) {
    const at = path.child('securityContext');
    errors.push(
      ...nonNegative(at.child('runAsUser'), security.runAsUser),
      ...nonNegative(at.child('runAsGroup'), security.runAsGroup),
    );
    if (security.privileged === true && security.allowPrivilegeEscalation === false) {
      errors.push(
        invalidValue(at, security, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'),
      );
    }
  }
  return errors;
}
