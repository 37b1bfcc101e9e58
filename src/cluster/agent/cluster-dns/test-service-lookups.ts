/** Services and EndpointSlices for the cluster DNS tests, and a plain-object ServiceView over them. */
import type { Endpoint, EndpointSlice, Service, ServiceSpec } from '../../resources/service-schemas.ts';
import { serviceNameLabel } from '../../resources/service-schemas.ts';
import type { ServiceView } from '../service-view.ts';

export function service(namespace: string, name: string, spec: ServiceSpec): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec };
}

export function slice(
  of: Service,
  endpoints: Endpoint[],
  ports: EndpointSlice['ports'] = [],
  suffix = 'a',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: of.metadata.namespace,
      name: `${of.metadata.name}-${suffix}`,
      labels: { [serviceNameLabel]: of.metadata.name ?? '' },
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

export function endpoint(address: string, ready: boolean | undefined, hostname?: string): Endpoint {
  return {
    addresses: [address],
    ...(ready === undefined ? {} : { conditions: { ready } }),
    ...(hostname === undefined ? {} : { hostname }),
  };
}

/** A ServiceView over fixed objects (never changes, synced from the start). */
export function fixedView(services: Service[], slices: EndpointSlice[]): ServiceView {
  return {
    services: () => services,
    service: (namespace, name) =>
      services.find((s) => s.metadata.namespace === namespace && s.metadata.name === name),
    slicesOf: (namespace, name) =>
      slices.filter(
        (s) => s.metadata.namespace === namespace && s.metadata.labels?.[serviceNameLabel] === name,
      ),
    onChange: () => () => {},
    synced: () => Promise.resolve(),
  };
}
