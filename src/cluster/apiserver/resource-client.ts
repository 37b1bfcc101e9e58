/**
 * How controllers, the scheduler, the node agent and the CLI read and write cluster objects: in
 * marinad through the ResourceService itself, from elsewhere over HTTP. The same calls either way, so a
 * controller neither knows nor cares where the API server is.
 */
import type { ApiKind, KubeObject } from './api-kind.ts';
import type { DeleteOptions, ObjectEvent, ObjectFilter, ObjectList, PatchType, Selectors, Written } from './resource-service.ts';

/**
 * `filter` is a function, applied where the objects are; `selectors` are label and field selectors in
 * their string form, which travel to the server (a remote client sends them as query parameters). Given
 * both, an object must pass both.
 */
export interface ResourceClient {
  get(kind: ApiKind, namespace: string | undefined, name: string): Promise<KubeObject>;
  list(kind: ApiKind, namespace?: string, filter?: ObjectFilter, selectors?: Selectors): Promise<ObjectList>;
  create(kind: ApiKind, namespace: string | undefined, body: unknown): Promise<Written>;
  update(kind: ApiKind, namespace: string | undefined, name: string, body: unknown): Promise<Written>;
  updateStatus(kind: ApiKind, namespace: string | undefined, name: string, body: unknown): Promise<Written>;
  patch(
    kind: ApiKind,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: { type: PatchType; subresource?: 'status' },
  ): Promise<Written>;
  delete(kind: ApiKind, namespace: string | undefined, name: string, options?: DeleteOptions): Promise<KubeObject>;
  /** Assigns an unbound pod to a node (`pods/NAME/binding`). */
  bind(pods: ApiKind, namespace: string, name: string, nodeName: string): Promise<KubeObject>;
  watch(
    kind: ApiKind,
    namespace: string | undefined,
    resourceVersion: string,
    signal: AbortSignal,
    filter?: ObjectFilter,
    selectors?: Selectors,
  ): AsyncIterable<ObjectEvent>;
}
