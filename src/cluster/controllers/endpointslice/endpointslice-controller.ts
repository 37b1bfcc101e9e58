/**
 * The EndpointSlice controller: for each Service with a selector, keeps its EndpointSlices listing the
 * selected pods (reads the Service, the pods and the slices from informers, asks
 * `decideEndpointSlices`, applies the answer through the API). Triggered by the Service, by any pod
 * whose labels a Service selects (before or after a change), and by a change to a slice it manages, so
 * a readiness change or a deletion reaches the slice at once. The garbage collector removes the slices
 * of a deleted Service (they are owned by it).
 */
import type { Logger } from 'pino';
import { isMarinaError } from '../../../errors.ts';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { ResourceClient } from '../../apiserver/resource-client.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import { type EndpointSlice, type Service, serviceNameLabel } from '../../resources/service-schemas.ts';
import type { EventSink } from '../event-recorder.ts';
import { byOwnerUid, type ControllerInformers } from '../informers.ts';
import type { Controller, ReconcileResult } from '../runtime/controller.ts';
import { keyOf } from '../runtime/informer.ts';
import { OwnWrites } from '../runtime/own-writes.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import { decideEndpointSlices, isManagedSlice } from './endpointslice-decision.ts';

const endpointSlices = kindByName('endpointslices');

export interface EndpointSliceControllerOptions {
  client: ResourceClient;
  informers: Pick<ControllerInformers, 'services' | 'pods' | 'endpointSlices'>;
  events: EventSink;
  logger: Pick<Logger, 'warn' | 'debug'>;
}

/** Whether a Service with a selector selects these labels (Kubernetes' selector map: every pair equal). */
function selects(service: Service, labels: Record<string, string> | undefined): boolean {
  const selector = service.spec?.selector;
  if (selector === undefined) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  readonly queue = new WorkQueue();
  private readonly options: EndpointSliceControllerOptions;
  private readonly writes = new OwnWrites();

  constructor(options: EndpointSliceControllerOptions) {
    this.options = options;
    const { informers } = options;
    const enqueueService = (service: KubeObject) => this.queue.add(keyOf(service));
    informers.services.on({
      added: enqueueService,
      updated: (_, service) => enqueueService(service),
      deleted: (service) => this.writes.forget(keyOf(service)),
    });
    // A pod concerns the Services that select it now or selected it before the change.
    const enqueueSelecting = (...pods: KubeObject[]) => {
      for (const service of informers.services.list(pods[0]?.metadata.namespace) as Service[]) {
        if (pods.some((pod) => selects(service, pod.metadata.labels))) enqueueService(service);
      }
    };
    informers.pods.on({
      added: (pod) => enqueueSelecting(pod),
      updated: (previous, pod) => enqueueSelecting(previous, pod),
      deleted: (pod) => enqueueSelecting(pod),
    });
    // Someone else changed or removed a managed slice: put it back as it should be.
    const serviceKeyOf = (slice: KubeObject) => {
      const serviceName = slice.metadata.labels?.[serviceNameLabel];
      return serviceName && isManagedSlice(slice as EndpointSlice)
        ? `${slice.metadata.namespace}/${serviceName}`
        : undefined;
    };
    informers.endpointSlices.on({
      updated: (_, slice) => {
        const key = serviceKeyOf(slice);
        if (key) this.queue.add(key);
      },
      deleted: (slice) => {
        const key = serviceKeyOf(slice);
        if (!key) return;
        // What we wrote of it is older than its deletion: read the cache alone (slice names are fixed, so
        // a create the cache has not seen yet fails as AlreadyExists and is retried, never duplicated).
        this.writes.forget(key);
        this.queue.add(key);
      },
    });
  }

  async synced(): Promise<void> {
    const { informers } = this.options;
    await Promise.all([
      informers.services.synced(),
      informers.pods.synced(),
      informers.endpointSlices.synced(),
    ]);
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { client, informers, events } = this.options;
    const service = informers.services.getByKey(key) as Service | undefined;
    // Gone or going: its slices are owned by it and go with it.
    if (!service?.metadata.uid || service.metadata.deletionTimestamp) {
      this.writes.forget(key);
      return undefined;
    }
    const namespace = service.metadata.namespace;
    const pods = (informers.pods.list(namespace) as Pod[]).filter((pod) =>
      selects(service, pod.metadata.labels),
    );
    const slices = this.writes.view(
      key,
      informers.endpointSlices.byIndex(byOwnerUid, service.metadata.uid),
    ) as EndpointSlice[];
    const decision = decideEndpointSlices(service, pods, slices);

    for (const slice of decision.create) {
      const { object } = await client.create(endpointSlices, namespace, slice);
      this.writes.created(key, object);
    }
    for (const slice of decision.update) {
      const { object } = await client.update(endpointSlices, namespace, slice.metadata.name!, slice);
      this.writes.created(key, object);
    }
    for (const name of decision.delete) {
      try {
        const removed = await client.delete(endpointSlices, namespace, name);
        this.writes.deleted(key, removed, false);
      } catch (err) {
        if (!isMarinaError(err, 'NotFound')) throw err;
      }
    }
    for (const event of decision.events)
      await events.record(service, event.type, event.reason, event.message);
    return undefined;
  }
}
