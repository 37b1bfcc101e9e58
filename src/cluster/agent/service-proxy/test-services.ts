/** Services and EndpointSlices for the service proxy's tests, and a plain ServiceView over them. */
import type { Endpoint, EndpointSlice, Service, ServiceSpec } from '../../resources/service-schemas.ts';
import type { ServiceView } from '../service-view.ts';

export function testService(name: string, spec: ServiceSpec, namespace = 'default'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec };
}

export function readyEndpoint(ip: string, conditions: Endpoint['conditions'] = { ready: true }): Endpoint {
  return { addresses: [ip], conditions };
}

export function testSlice(
  service: string,
  endpoints: Endpoint[],
  ports: EndpointSlice['ports'],
  name = `${service}-abc`,
  namespace = 'default',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

/** A ServiceView over fixed lists that the test may replace; `set` tells the listeners. */
export class StaticServiceView implements ServiceView {
  #services: Service[];
  #slices: EndpointSlice[];
  readonly #listeners = new Set<() => void>();

  constructor(services: Service[] = [], slices: EndpointSlice[] = []) {
    this.#services = services;
    this.#slices = slices;
  }

  set(services: Service[], slices: EndpointSlice[]): void {
    this.#services = services;
    this.#slices = slices;
    for (const listener of this.#listeners) listener();
  }

  services(): Service[] {
    return this.#services;
  }

  service(namespace: string, name: string): Service | undefined {
    return this.#services.find((s) => s.metadata.namespace === namespace && s.metadata.name === name);
  }

  slicesOf(namespace: string, name: string): EndpointSlice[] {
    return this.#slices.filter(
      (s) => s.metadata.namespace === namespace && s.metadata.labels?.['kubernetes.io/service-name'] === name,
    );
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  synced(): Promise<void> {
    return Promise.resolve();
  }
}
