/**
 * What a node knows of the cluster's Services: the Services and their EndpointSlices, kept from two
 * watches. The service proxy (kernel rules) and the cluster DNS both read it, so a node keeps one watch
 * per kind however many parts look at Services. Change listeners are told only that something changed:
 * both readers recompute their whole wanted state from the view (level-triggered), so no event can be
 * missed or applied twice.
 */
import type { ResourceClient } from '../apiserver/resource-client.ts';
import { Informer } from '../controllers/runtime/informer.ts';
import { kindByName } from '../resources/registry.ts';
import { type EndpointSlice, type Service, serviceNameLabel } from '../resources/service-schemas.ts';

/** Index name: slices by `namespace/service-name` (their kubernetes.io/service-name label). */
const byServiceKey = 'serviceKey';

export interface ServiceView {
  services(): Service[];
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices of one Service (there may be several). */
  slicesOf(namespace: string, name: string): EndpointSlice[];
  /** Called after any Service or EndpointSlice changes; returns the function that stops the calls. */
  onChange(listener: () => void): () => void;
  /** Resolves once both kinds are listed. */
  synced(): Promise<void>;
}

/** The view kept from the API through `client`, until `run`'s signal aborts. */
export class WatchedServiceView implements ServiceView {
  readonly #services: Informer;
  readonly #slices: Informer;
  readonly #listeners = new Set<() => void>();

  constructor(client: ResourceClient, options: { onError?: (err: unknown) => void } = {}) {
    this.#services = new Informer(client, kindByName('services'), options);
    this.#slices = new Informer(client, kindByName('endpointslices'), options).addIndex(byServiceKey, (slice) => {
      const name = slice.metadata.labels?.[serviceNameLabel];
      return name ? [`${slice.metadata.namespace}/${name}`] : [];
    });
    const changed = () => {
      for (const listener of this.#listeners) listener();
    };
    for (const informer of [this.#services, this.#slices]) informer.on({ added: changed, updated: changed, deleted: changed });
  }

  run(signal: AbortSignal): Promise<void> {
    return Promise.all([this.#services.run(signal), this.#slices.run(signal)]).then(() => {});
  }

  synced(): Promise<void> {
    return Promise.all([this.#services.synced(), this.#slices.synced()]).then(() => {});
  }

  services(): Service[] {
    return this.#services.list() as Service[];
  }

  service(namespace: string, name: string): Service | undefined {
    return this.#services.get(namespace, name) as Service | undefined;
  }

  slicesOf(namespace: string, name: string): EndpointSlice[] {
    return this.#slices.byIndex(byServiceKey, `${namespace}/${name}`) as EndpointSlice[];
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
