/**
 * The ReplicaSet controller: keeps `spec.replicas` pods that match the selector and are controlled by the
 * ReplicaSet — adopting matching orphans, releasing relabelled pods, creating from the template in slow-
 * start batches, deleting the least useful pods first — and reports what it sees in the status.
 * The decisions are in replica-decisions.ts; this file reads the informers' cache and applies them.
 */
import { isMarinaError } from '../../../errors.ts';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { ResourceClient } from '../../apiserver/resource-client.ts';
import type { ReplicaSet } from '../../resources/apps-schemas.ts';
import { labelSelectorMatches } from '../../resources/label-selector.ts';
import { controllerOf, newControllerRef, withoutOwner } from '../../resources/owner-references.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import type { ControllerInformers } from '../informers.ts';
import type { Controller } from '../runtime/controller.ts';
import type { EventSink } from '../event-recorder.ts';
import { OwnWrites } from '../runtime/own-writes.ts';
import { statusChanged } from '../runtime/status-changed.ts';
import { keyOf } from '../runtime/informer.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import { isPodActive, nextAvailableInMs } from './pod-state.ts';
import {
  claim,
  type ReplicaChange,
  replicaChange,
  replicaSetStatus,
  podFromTemplate,
  slowStartBatches,
  withControllerRef,
} from './replica-decisions.ts';


export interface ReplicaSetControllerOptions {
  client: ResourceClient;
  informers: Pick<ControllerInformers, 'pods' | 'replicaSets'>;
  events: EventSink;
  now?: () => number;
  queue?: WorkQueue;
}

const podKind = kindByName('pods');
const replicaSetKind = kindByName('replicasets');

export function newReplicaSetController(options: ReplicaSetControllerOptions): Controller {
  return new ReplicaSetController(options);
}

class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  readonly queue: WorkQueue;
  private readonly client: ResourceClient;
  private readonly informers: ReplicaSetControllerOptions['informers'];
  private readonly events: EventSink;
  private readonly now: () => number;
  /** Pods this controller just created or deleted, until the informer has seen it do so. */
  private readonly writes = new OwnWrites();

  constructor(options: ReplicaSetControllerOptions) {
    this.client = options.client;
    this.informers = options.informers;
    this.events = options.events;
    this.now = options.now ?? Date.now;
    this.queue = options.queue ?? new WorkQueue();
    const enqueue = (object: KubeObject) => this.queue.add(keyOf(object));
    this.informers.replicaSets.on({ added: enqueue, updated: (_, rs) => enqueue(rs), deleted: enqueue });
    this.informers.pods.on({
      added: (pod) => this.podChanged(undefined, pod as Pod),
      updated: (previous, pod) => this.podChanged(previous as Pod, pod as Pod),
      deleted: (pod) => this.podChanged(pod as Pod, undefined),
    });
  }

  async synced(): Promise<void> {
    await Promise.all([this.informers.pods.synced(), this.informers.replicaSets.synced()]);
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | undefined> {
    const rs = this.informers.replicaSets.getByKey(key) as ReplicaSet | undefined;
    if (!rs) {
      this.writes.forget(key);
      return undefined;
    }
    const pods = this.writes.view(key, this.informers.pods.list(rs.metadata.namespace)) as Pod[];
    const claims = claim(rs, pods);
    await Promise.all(claims.release.map((pod) => this.release(rs, pod)));
    const adopted = await Promise.all(claims.adopt.map((pod) => this.adopt(rs, pod)));
    const owned = [...claims.owned, ...adopted.filter((pod) => pod !== undefined)];

    let failure: unknown;
    if (!rs.metadata.deletionTimestamp) {
      const change = replicaChange(rs.spec.replicas ?? 1, owned.filter(isPodActive), this.now());
      failure = await this.apply(rs, key, change).then(
        () => undefined,
        (err: unknown) => err,
      );
    }
    // The status is written even when creating or deleting failed: it is what the pods are now.
    const now = this.now();
    await this.writeStatus(rs, replicaSetStatus(rs, owned, now));
    if (failure) throw failure;
    const wait = nextAvailableInMs(owned.filter(isPodActive), rs.spec.minReadySeconds ?? 0, now);
    return wait === undefined ? undefined : { requeueAfterMs: wait };
  }

  /** Queues the ReplicaSets a pod change concerns. */
  private podChanged(previous: Pod | undefined, pod: Pod | undefined): void {
    const current = pod ?? previous!;
    for (const version of [previous, pod]) {
      const ref = version && controllerOf(version);
      if (ref?.kind === 'ReplicaSet') this.queue.add(`${current.metadata.namespace}/${ref.name}`);
    }
    if (pod && !controllerOf(pod)) {
      // An orphan: every ReplicaSet that selects it may adopt it.
      for (const rs of this.informers.replicaSets.list(pod.metadata.namespace) as ReplicaSet[]) {
        if (labelSelectorMatches(rs.spec.selector, pod.metadata.labels)) this.queue.add(keyOf(rs));
      }
    }
  }

  private async apply(rs: ReplicaSet, key: string, change: ReplicaChange): Promise<void> {
    if (change.create > 0) await this.createPods(rs, key, change.create);
    if (change.delete.length > 0) await this.deletePods(rs, key, change.delete);
  }

  private async createPods(rs: ReplicaSet, key: string, count: number): Promise<void> {
    const template = podFromTemplate(rs, newControllerRef(rs));
    for (const batch of slowStartBatches(count)) {
      const results = await Promise.allSettled(
        Array.from({ length: batch }, () => this.client.create(podKind, rs.metadata.namespace, template)),
      );
      let firstError: unknown;
      for (const result of results) {
        if (result.status === 'fulfilled') {
          const pod = result.value.object;
          this.writes.created(key, pod);
          await this.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        } else {
          firstError ??= result.reason;
          await this.record(rs, 'Warning', 'FailedCreate', `Error creating: ${messageOf(result.reason)}`);
        }
      }
      // The next batches are skipped: whatever refused these would refuse them too.
      if (firstError) throw firstError;
    }
  }

  private async deletePods(rs: ReplicaSet, key: string, pods: readonly Pod[]): Promise<void> {
    const results = await Promise.allSettled(
      pods.map(async (pod) => {
        try {
          const removed = await this.client.delete(podKind, pod.metadata.namespace, pod.metadata.name!, {
            preconditions: { uid: pod.metadata.uid },
          });
          this.writes.deleted(key, removed, removed.metadata.deletionTimestamp !== undefined);
        } catch (err) {
          if (isMarinaError(err, 'NotFound')) {
            this.writes.deleted(key, pod, false);
            return;
          }
          await this.record(rs, 'Warning', 'FailedDelete', `Error deleting: ${messageOf(err)}`);
          throw err;
        }
        await this.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Takes a matching orphan; undefined when it is gone meanwhile. */
  private async adopt(rs: ReplicaSet, pod: Pod): Promise<Pod | undefined> {
    const ownerReferences = withControllerRef(pod, newControllerRef(rs));
    return (await this.updatePod({ ...pod, metadata: { ...pod.metadata, ownerReferences } })) as Pod | undefined;
  }

  private async release(rs: ReplicaSet, pod: Pod): Promise<void> {
    const ownerReferences = withoutOwner(pod, rs.metadata.uid!);
    await this.updatePod({ ...pod, metadata: { ...pod.metadata, ownerReferences } });
  }

  /** Writes the pod if nobody changed it since it was read (a conflict retries the reconcile). */
  private async updatePod(pod: Pod): Promise<KubeObject | undefined> {
    try {
      return (await this.client.update(podKind, pod.metadata.namespace, pod.metadata.name!, pod)).object;
    } catch (err) {
      if (isMarinaError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  private async writeStatus(rs: ReplicaSet, status: NonNullable<ReplicaSet['status']>): Promise<void> {
    if (!statusChanged(rs.status, status)) return;
    try {
      await this.client.patch(replicaSetKind, rs.metadata.namespace, rs.metadata.name!, { status }, {
        type: 'merge',
        subresource: 'status',
      });
    } catch (err) {
      if (!isMarinaError(err, 'NotFound')) throw err;
    }
  }

  private async record(rs: ReplicaSet, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    // An event is a courtesy to the user: failing to record one must not fail the reconcile.
    await this.events.record(rs as KubeObject, type, reason, message).catch(() => undefined);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
