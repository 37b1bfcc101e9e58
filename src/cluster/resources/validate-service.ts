/** Validation of Service and EndpointSlice, with Kubernetes' field paths and wording. */
import { isIpv4 } from '../../network/ipam.ts';
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
import { checkDns1123Label } from './names.ts';
import type { EndpointSlice, Service, ServiceSpec } from './service-schemas.ts';
import { subdomainNamed, validateLabels, validateObjectMeta } from './validate-meta.ts';
import { portNumber, portNumberOrName, supportedValue } from './value-checks.ts';

export const serviceTypes = ['ClusterIP', 'NodePort'] as const;
export const serviceProtocols = ['TCP', 'UDP'] as const;
/** `clusterIP: None`: a headless service, no virtual IP; DNS answers with the pods' addresses. */
export const headless = 'None';

const dns1035LabelPattern = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
// Kubernetes' bounds for ClientIP affinity and for one EndpointSlice.
const maxAffinitySeconds = 86400;
const maxEndpointsPerSlice = 1000;
const maxPortsPerSlice = 100;
const maxAddressesPerEndpoint = 100;

/** A Service's name becomes a DNS label that must not look like a number: RFC 1035, as Kubernetes checks. */
function checkDns1035Label(value: string): string[] {
  const problems = value.length > 63 ? ['must be no more than 63 characters'] : [];
  if (!dns1035LabelPattern.test(value)) {
    problems.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return problems;
}

export const isHeadless = (spec: ServiceSpec | undefined): boolean => spec?.clusterIP === headless;

function validateType(spec: ServiceSpec, at: FieldPath): FieldError[] {
  const type = spec.type;
  if (type === undefined || (serviceTypes as readonly string[]).includes(type)) return [];
  if (type === 'LoadBalancer') {
    return [
      invalidValue(
        at,
        type,
        'LoadBalancer services are not supported: Marina has no load-balancer provider; use NodePort, or ClusterIP with externalIPs',
      ),
    ];
  }
  return supportedValue(at, type, serviceTypes);
}

function validateClusterIPs(spec: ServiceSpec, at: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  if (ips.length > 1)
    errors.push(invalidValue(at.child('clusterIPs'), ips, 'only one IP family (IPv4) is supported'));
  if (spec.clusterIP !== undefined && ips[0] !== undefined && ips[0] !== spec.clusterIP) {
    errors.push(
      invalidValue(at.child('clusterIPs').index(0), ips[0], 'must match `spec.clusterIP` when both are set'),
    );
  }
  const ip = spec.clusterIP;
  if (ip === undefined || ip === '') return errors;
  if (ip === headless) {
    if (spec.type !== 'ClusterIP') {
      errors.push(
        invalidValue(
          at.child('clusterIPs').index(0),
          ip,
          `may not be set to 'None' for ${spec.type} services`,
        ),
      );
    }
  } else if (!isIpv4(ip)) {
    errors.push(
      invalidValue(at.child('clusterIPs').index(0), ip, "must be a valid IPv4 address, 'None' or empty"),
    );
  }
  return errors;
}

function validatePorts(spec: ServiceSpec, at: FieldPath): FieldError[] {
  const ports = spec.ports ?? [];
  if (ports.length === 0) return isHeadless(spec) ? [] : [required(at)];
  const errors: FieldError[] = [];
  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePortKeys = new Set<string>();
  ports.forEach((port, i) => {
    const p = at.index(i);
    if (port.name === undefined || port.name === '') {
      if (ports.length > 1) errors.push(required(p.child('name')));
    } else {
      for (const problem of checkDns1123Label(port.name))
        errors.push(invalidValue(p.child('name'), port.name, problem));
      if (names.has(port.name)) errors.push(duplicate(p.child('name'), port.name));
      names.add(port.name);
    }
    errors.push(...supportedValue(p.child('protocol'), port.protocol, serviceProtocols));
    errors.push(...portNumber(p.child('port'), port.port));
    const key = `${port.port}/${port.protocol}`;
    if (portKeys.has(key)) errors.push(duplicate(p, key));
    portKeys.add(key);
    if (port.targetPort !== undefined)
      errors.push(...portNumberOrName(p.child('targetPort'), port.targetPort));
    if (port.nodePort !== undefined) {
      // An unsupported type is reported once, under spec.type, not again for each node port.
      if (spec.type === 'ClusterIP') {
        errors.push(forbidden(p.child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
      } else if (spec.type === 'NodePort') {
        errors.push(...portNumber(p.child('nodePort'), port.nodePort));
        // One node port may carry TCP and UDP, never the same protocol twice.
        const nodeKey = `${port.nodePort}/${port.protocol}`;
        if (nodePortKeys.has(nodeKey)) errors.push(duplicate(p.child('nodePort'), port.nodePort));
        nodePortKeys.add(nodeKey);
      }
    }
  });
  return errors;
}

function validateAffinity(spec: ServiceSpec, at: FieldPath): FieldError[] {
  const errors = supportedValue(at.child('sessionAffinity'), spec.sessionAffinity, ['None', 'ClientIP']);
  const config = at.child('sessionAffinityConfig');
  if (spec.sessionAffinity === 'ClientIP') {
    const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (timeout !== undefined && (timeout <= 0 || timeout > maxAffinitySeconds)) {
      errors.push(
        invalidValue(
          config.child('clientIP').child('timeoutSeconds'),
          timeout,
          `must be greater than 0 and less than ${maxAffinitySeconds}`,
        ),
      );
    }
  } else if (spec.sessionAffinityConfig !== undefined) {
    errors.push(forbidden(config, `must not be set when \`sessionAffinity\` is ${spec.sessionAffinity}`));
  }
  return errors;
}

function validateExternalIPs(spec: ServiceSpec, at: FieldPath): FieldError[] {
  return (spec.externalIPs ?? []).flatMap((ip, i) =>
    isIpv4(ip) && ip !== '0.0.0.0' ? [] : [invalidValue(at.index(i), ip, 'must be a valid IPv4 address')],
  );
}

/** A set clusterIP stays; an update that leaves it out keeps it (the allocator copies it back). */
function validateClusterIPUpdate(spec: ServiceSpec, old: Service | undefined, at: FieldPath): FieldError[] {
  const was = old?.spec?.clusterIP;
  const now = spec.clusterIP;
  if (!was || !now || was === now) return [];
  return [immutable(at.child('clusterIPs').index(0), now)];
}

export function validateService(service: Service, old?: Service): FieldError[] {
  const spec = service.spec ?? {};
  const at = new FieldPath('spec');
  return [
    ...validateObjectMeta(service.metadata, { namespaced: true, checkName: checkDns1035Label }),
    ...validateType(spec, at.child('type')),
    ...validateClusterIPs(spec, at),
    ...validatePorts(spec, at.child('ports')),
    ...validateLabels(spec.selector, at.child('selector')),
    ...validateAffinity(spec, at),
    ...validateExternalIPs(spec, at.child('externalIPs')),
    ...validateClusterIPUpdate(spec, old, at),
  ];
}

export function validateEndpointSlice(slice: EndpointSlice, old?: EndpointSlice): FieldError[] {
  const errors = validateObjectMeta(slice.metadata, subdomainNamed(true));
  const addressType = new FieldPath('addressType');
  errors.push(...supportedValue(addressType, slice.addressType, ['IPv4']));
  if (old !== undefined && old.addressType !== slice.addressType)
    errors.push(immutable(addressType, slice.addressType));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > maxEndpointsPerSlice)
    errors.push(tooLong(new FieldPath('endpoints'), maxEndpointsPerSlice));
  endpoints.forEach((endpoint, i) => {
    const at = new FieldPath('endpoints').index(i).child('addresses');
    if (endpoint.addresses.length < 1 || endpoint.addresses.length > maxAddressesPerEndpoint)
      errors.push(
        invalidValue(at, endpoint.addresses, `must contain 1 to ${maxAddressesPerEndpoint} addresses`),
      );
    endpoint.addresses.forEach((address, j) => {
      if (!isIpv4(address)) errors.push(invalidValue(at.index(j), address, 'must be a valid IPv4 address'));
    });
  });
  const ports = slice.ports ?? [];
  if (ports.length > maxPortsPerSlice) errors.push(tooLong(new FieldPath('ports'), maxPortsPerSlice));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = new FieldPath('ports').index(i);
    const name = port.name ?? '';
    if (name !== '') {
      for (const problem of checkDns1123Label(name))
        errors.push(invalidValue(at.child('name'), name, problem));
    }
    if (names.has(name)) errors.push(duplicate(at.child('name'), name));
    names.add(name);
    errors.push(...supportedValue(at.child('protocol'), port.protocol, serviceProtocols));
    if (port.port !== undefined) errors.push(...portNumber(at.child('port'), port.port));
  });
  return errors;
}
