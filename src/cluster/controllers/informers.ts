/**
 * The informers the in-process controllers share: ONE per kind, so that every controller reads the same
 * cache and marinad keeps one watch per kind however many controllers look at it. Each comes with the
 * indexes controllers ask for most — what an owner owns (by its uid), which pods a controller manages, which
 * pods a node runs — so a reconcile never scans a whole kind.
 */
import type { KubeObject } from '../apiserver/api-kind.ts';
import type { ResourceClient } from '../apiserver/resource-client.ts';
import { controllerOf } from '../resources/owner-references.ts';
import { kindByName } from '../resources/registry.ts';
import { Informer, type InformerOptions } from './runtime/informer.ts';

/** Index name: objects by the uid of every owner they reference. */
export const byOwnerUid = 'ownerUid';
/** Index name: objects by the uid of their controller (the owner reference marked `controller`). */
export const byControllerUid = 'controllerUid';
/** Index name (pods only): pods by `spec.nodeName`; unscheduled pods are not in it. */
export const byNodeName = 'nodeName';

export interface ControllerInformers {
  readonly pods: Informer;
  readonly replicaSets: Informer;
  readonly deployments: Informer;
  readonly jobs: Informer;
  readonly cronJobs: Informer;
  readonly nodes: Informer;
  readonly services: Informer;
  readonly endpointSlices: Informer;
  /** Lists and watches every kind until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** Resolves once every informer has its first list. */
  synced(): Promise<void>;
}

export function createInformers(client: ResourceClient, options: Omit<InformerOptions, 'namespace' | 'filter'> = {}): ControllerInformers {
  const informer = (name: string) =>
    new Informer(client, kindByName(name), options)
      .addIndex(byOwnerUid, ownerUids)
      .addIndex(byControllerUid, controllerUid);
  const pods = informer('pods').addIndex(byNodeName, nodeName);
  const all = {
    pods,
    replicaSets: informer('replicasets'),
    deployments: informer('deployments'),
    jobs: informer('jobs'),
    cronJobs: informer('cronjobs'),
    nodes: informer('nodes'),
    services: informer('services'),
    endpointSlices: informer('endpointslices'),
  };
  const informers = Object.values(all);
  return {
    ...all,
    async run(signal) {
      await Promise.all(informers.map((i) => i.run(signal)));
    },
    async synced() {
      await Promise.all(informers.map((i) => i.synced()));
    },
  };
}

/** The `byOwnerUid` index: the uids an object's owner references name. */
export function ownerUids(object: KubeObject): string[] {
  return (object.metadata.ownerReferences ?? []).map((ref) => ref.uid);
}

function controllerUid(object: KubeObject): string[] {
  const ref = controllerOf(object);
  return ref ? [ref.uid] : [];
}

function nodeName(object: KubeObject): string[] {
  const name = (object.spec as { nodeName?: string } | undefined)?.nodeName;
  return name ? [name] : [];
}
