/**
 * The garbage collector: watches every kind that can own or be owned (through the informers it is given,
 * each indexed by owner uid) and applies `gc-decision.ts` — deleting objects whose owners are gone,
 * cascading foreground deletions, orphaning dependents — through the API.
 *
 * The cache is only a first filter: an owner missing from it (not yet seen, or really gone) is confirmed
 * with a live read before its dependents are touched, as Kubernetes' collector does, so a dependent
 * created right after its owner is never collected by mistake.
 */
import type { Logger } from 'pino';
import { isMarinaError } from '../../../errors.ts';
import type { ApiKind, KubeObject } from '../../apiserver/api-kind.ts';
import { apiVersionOf } from '../../apiserver/api-kind.ts';
import type { ResourceClient } from '../../apiserver/resource-client.ts';
import { foregroundFinalizer, orphanFinalizer } from '../../apiserver/resource-service.ts';
import type { OwnerReference } from '../../resources/meta-schemas.ts';
import { kindOf } from '../../resources/registry.ts';
import { byOwnerUid, ownerUids } from '../informers.ts';
import type { Controller, ReconcileResult } from '../runtime/controller.ts';
import { Informer, keyOf } from '../runtime/informer.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import { decideDependent, decideOwner, type OwnerState, ownerStateOf } from './gc-decision.ts';
import { withoutOwner } from '../../resources/owner-references.ts';

export interface GarbageCollectorOptions {
  client: ResourceClient;
  /** One per kind that can own or be owned, each with the `byOwnerUid` index (see `ownedInformer`). */
  informers: readonly Informer[];
  logger: Pick<Logger, 'warn' | 'debug'>;
}

/** An informer for a kind the shared set lacks (ConfigMaps, Secrets…), indexed as the collector needs. */
export function ownedInformer(client: ResourceClient, kind: ApiKind): Informer {
  return new Informer(client, kind).addIndex(byOwnerUid, ownerUids);
}

const gcFinalizers = [foregroundFinalizer, orphanFinalizer];

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  readonly queue = new WorkQueue();
  private readonly options: GarbageCollectorOptions;
  /** Informers by `apiVersion/kind`, to find an owner named by a reference. */
  private readonly byKind = new Map<string, number>();

  constructor(options: GarbageCollectorOptions) {
    this.options = options;
    options.informers.forEach((informer, index) => {
      this.byKind.set(`${apiVersionOf(informer.kind)}/${informer.kind.kind}`, index);
      const changed = (object: KubeObject, previous?: KubeObject) => this.changed(index, object, previous);
      informer.on({
        added: changed,
        updated: (previous, object) => changed(object, previous),
        deleted: changed,
      });
    });
  }

  async synced(): Promise<void> {
    await Promise.all(this.options.informers.map((i) => i.synced()));
  }

  async reconcile(queued: string): Promise<ReconcileResult | undefined> {
    const { index, key } = splitQueued(queued);
    const informer = this.options.informers[index];
    const object = informer?.getByKey(key);
    if (!informer || !object) return undefined;
    if (object.metadata.deletionTimestamp) await this.finalize(informer.kind, object);
    else await this.collect(informer.kind, object);
    return undefined;
  }

  /** Queues the object if the collector has something to look at, and what depends on it or owns it. */
  private changed(index: number, object: KubeObject, previous?: KubeObject): void {
    const meta = object.metadata;
    if ((meta.ownerReferences?.length ?? 0) > 0 || meta.finalizers?.some((f) => gcFinalizers.includes(f))) {
      this.queue.add(joinQueued(index, keyOf(object)));
    }
    if (meta.uid) for (const dependent of this.dependentsOf(meta.uid)) this.queue.add(dependent);
    // The previous references too: a dependent just orphaned no longer names the owner waiting for it.
    for (const ref of [...(meta.ownerReferences ?? []), ...(previous?.metadata.ownerReferences ?? [])]) {
      const ownerIndex = this.byKind.get(`${ref.apiVersion}/${ref.kind}`);
      const owner = ownerIndex === undefined ? undefined : this.cachedOwner(ownerIndex, object, ref);
      // An owner waiting for its dependents looks again whenever one of them changes or goes.
      if (owner?.metadata.deletionTimestamp) this.queue.add(joinQueued(ownerIndex!, keyOf(owner)));
    }
  }

  private async collect(kind: ApiKind, object: KubeObject): Promise<void> {
    const states = new Map<string, OwnerState>();
    for (const ref of object.metadata.ownerReferences ?? [])
      states.set(ref.uid, await this.ownerState(object, ref));
    const hasDependents =
      object.metadata.uid !== undefined && this.dependentsOf(object.metadata.uid).length > 0;
    const decision = decideDependent(object, states, hasDependents);
    const { namespace, name = '', uid } = object.metadata;
    if (decision.action === 'delete') {
      this.options.logger.debug(
        { kind: kind.kind, namespace, name },
        'garbage collecting: its owners are gone',
      );
      await ignoreNotFound(
        this.options.client.delete(kind, namespace, name, {
          propagationPolicy: decision.propagation,
          preconditions: { uid },
        }),
      );
    } else if (decision.action === 'updateReferences') {
      await this.setReferences(kind, object, decision.ownerReferences);
    }
  }

  private async finalize(kind: ApiKind, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid;
    if (!uid) return;
    const dependents = this.options.informers.flatMap((informer) =>
      informer.byIndex(byOwnerUid, uid).map((object) => ({ informer, object })),
    );
    const decision = decideOwner(
      owner,
      dependents.map((d) => d.object),
    );
    const kindOfDependent = (object: KubeObject) =>
      dependents.find((d) => d.object === object)!.informer.kind;
    for (const dependent of decision.orphanDependents) {
      await this.setReferences(kindOfDependent(dependent), dependent, withoutOwner(dependent, uid));
    }
    for (const dependent of decision.deleteDependents) {
      const { namespace, name = '', uid: dependentUid } = dependent.metadata;
      const cascades = dependentUid !== undefined && this.dependentsOf(dependentUid).length > 0;
      await ignoreNotFound(
        this.options.client.delete(kindOfDependent(dependent), namespace, name, {
          propagationPolicy: cascades ? 'Foreground' : 'Background',
          preconditions: { uid: dependentUid },
        }),
      );
    }
    if (decision.removeFinalizer) {
      const finalizers = (owner.metadata.finalizers ?? []).filter((f) => f !== decision.removeFinalizer);
      await ignoreNotFound(
        this.options.client.patch(
          kind,
          owner.metadata.namespace,
          owner.metadata.name ?? '',
          [
            { op: 'test', path: '/metadata/uid', value: uid },
            { op: 'replace', path: '/metadata/finalizers', value: finalizers },
          ],
          { type: 'json' },
        ),
      );
    }
  }

  /** Present, absent or foreground-deleting: from the cache when it has the owner, else from the API. */
  private async ownerState(dependent: KubeObject, ref: OwnerReference): Promise<OwnerState> {
    let ownerKind: ApiKind;
    try {
      ownerKind = kindOf(ref.apiVersion, ref.kind);
    } catch {
      return 'present'; // A kind Marina does not serve: never collect on its account.
    }
    const index = this.byKind.get(`${ref.apiVersion}/${ref.kind}`);
    const cached = index === undefined ? undefined : this.cachedOwner(index, dependent, ref);
    if (cached?.metadata.uid === ref.uid) return ownerStateOf(cached, ref.uid);
    const namespace = ownerKind.namespaced ? dependent.metadata.namespace : undefined;
    try {
      return ownerStateOf(await this.options.client.get(ownerKind, namespace, ref.name), ref.uid);
    } catch (err) {
      if (isMarinaError(err, 'NotFound')) return 'absent';
      throw err;
    }
  }

  private cachedOwner(index: number, dependent: KubeObject, ref: OwnerReference): KubeObject | undefined {
    const informer = this.options.informers[index]!;
    return informer.get(informer.kind.namespaced ? dependent.metadata.namespace : undefined, ref.name);
  }

  private dependentsOf(uid: string): string[] {
    return this.options.informers.flatMap((informer, index) =>
      informer.byIndex(byOwnerUid, uid).map((o) => joinQueued(index, keyOf(o))),
    );
  }

  private async setReferences(
    kind: ApiKind,
    object: KubeObject,
    ownerReferences: OwnerReference[],
  ): Promise<void> {
    const { namespace, name = '', uid } = object.metadata;
    await ignoreNotFound(
      this.options.client.patch(
        kind,
        namespace,
        name,
        [
          { op: 'test', path: '/metadata/uid', value: uid },
          ownerReferences.length > 0
            ? { op: 'replace', path: '/metadata/ownerReferences', value: ownerReferences }
            : { op: 'remove', path: '/metadata/ownerReferences' },
        ],
        { type: 'json' },
      ),
    );
  }
}

function joinQueued(index: number, key: string): string {
  return `${index}|${key}`;
}

function splitQueued(queued: string): { index: number; key: string } {
  const bar = queued.indexOf('|');
  return { index: Number(queued.slice(0, bar)), key: queued.slice(bar + 1) };
}

async function ignoreNotFound(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!isMarinaError(err, 'NotFound')) throw err;
  }
}
