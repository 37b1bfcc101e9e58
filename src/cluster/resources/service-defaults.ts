/** Kubernetes' defaults for Service and EndpointSlice; pure, the argument is left alone. */
import { defaultObjectNamespace } from './defaults.ts';
import type { EndpointSlice, Service } from './service-schemas.ts';

/** Kubernetes' default ClientIP affinity timeout: three hours. */
export const defaultClientIpTimeoutSeconds = 10800;

export function defaultService(service: Service): Service {
  const s = structuredClone(service);
  defaultObjectNamespace(s.metadata);
  s.spec ??= {};
  const spec = s.spec;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= defaultClientIpTimeoutSeconds;
  }
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port;
  }
  // The two fields say the same for a single-stack service; either may be given.
  if (spec.clusterIP && spec.clusterIPs === undefined) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && spec.clusterIPs?.[0]) spec.clusterIP = spec.clusterIPs[0];
  s.status ??= {};
  s.status.loadBalancer ??= {};
  return s;
}

export function defaultEndpointSlice(slice: EndpointSlice): EndpointSlice {
  const s = structuredClone(slice);
  defaultObjectNamespace(s.metadata);
  for (const port of s.ports ?? []) port.protocol ??= 'TCP';
  return s;
}

/**
 * A Service that stops being a NodePort Service loses the node ports it kept unchanged, as Kubernetes'
 * API server drops type-dependent fields: `patch -p '{"spec":{"type":"ClusterIP"}}'` just works. A node
 * port the update itself sets is left, for validation to refuse.
 */
export function dropTypeDependentFields(service: Service, old: Service): Service {
  if (old.spec?.type !== 'NodePort' || service.spec?.type === 'NodePort') return service;
  const oldPorts = old.spec.ports ?? [];
  const ports = service.spec?.ports?.map((port) => {
    const kept = oldPorts.some((o) => o.port === port.port && o.protocol === port.protocol && o.nodePort === port.nodePort);
    if (!kept || port.nodePort === undefined) return port;
    const { nodePort: _dropped, ...rest } = port;
    return rest;
  });
  return { ...service, spec: { ...service.spec, ...(ports ? { ports } : {}) } };
}
