/**
 * The node lifecycle controller: watches Nodes, their agents' Leases (namespace kube-node-lease, named
 * after the node) and the pods bound to them; marks a node whose heartbeat stopped Ready=Unknown and taints
 * it unreachable, untaints it when the heartbeat resumes, and evicts (deletes) the pods of a NoExecute-
 * tainted node once they stop tolerating it, so their controllers replace them elsewhere.
 */
import type { Logger } from 'pino';
import { isMarinaError } from '../../../errors.ts';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { ResourceClient } from '../../apiserver/resource-client.ts';
import { type Lease, nodeLeaseNamespace } from '../../resources/coordination-schemas.ts';
import type { Node } from '../../resources/core-schemas.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import type { EventSink } from '../event-recorder.ts';
import { byNodeName, type ControllerInformers } from '../informers.ts';
import type { Controller, ReconcileResult } from '../runtime/controller.ts';
import { Informer } from '../runtime/informer.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import {
  defaultNodeLifecycleTiming,
  evictionDelayMs,
  heartbeatState,
  type NodeLifecycleTiming,
  nodeChanges,
} from './node-lifecycle-decision.ts';


const nodes = kindByName('nodes');
const pods = kindByName('pods');

export interface NodeLifecycleOptions {
  client: ResourceClient;
  informers: Pick<ControllerInformers, 'nodes' | 'pods'>;
  /** The node Leases: `nodeLeaseInformer(client)`. */
  leases: Informer;
  events: EventSink;
  logger: Pick<Logger, 'warn' | 'debug'>;
  now?: () => Date;
  timing?: NodeLifecycleTiming;
}

/** The informer of the agents' Leases (not in the shared set: only this controller reads them). */
export function nodeLeaseInformer(client: ResourceClient): Informer {
  return new Informer(client, kindByName('leases'), { namespace: nodeLeaseNamespace });
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  readonly queue = new WorkQueue();
  private readonly options: NodeLifecycleOptions;
  private readonly now: () => Date;
  private readonly timing: NodeLifecycleTiming;
  /** Per node, the last renewTime seen and when (local time): the heartbeat, free of clock skew. */
  private readonly heartbeats = new Map<string, { renewTime: string | undefined; seenAt: number }>();

  constructor(options: NodeLifecycleOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.timing = options.timing ?? defaultNodeLifecycleTiming;
    const byName = (object: KubeObject) => this.queue.add(object.metadata.name ?? '');
    options.informers.nodes.on({ added: byName, updated: (_, node) => byName(node) });
    options.leases.on({ added: byName, updated: (_, lease) => byName(lease), deleted: byName });
    const byNode = (pod: KubeObject) => {
      const nodeName = (pod as Pod).spec?.nodeName;
      if (nodeName) this.queue.add(nodeName);
    };
    options.informers.pods.on({ added: byNode, updated: (_, pod) => byNode(pod) });
  }

  async synced(): Promise<void> {
    await Promise.all([
      this.options.informers.nodes.synced(),
      this.options.informers.pods.synced(),
      this.options.leases.synced(),
    ]);
  }

  async reconcile(name: string): Promise<ReconcileResult | undefined> {
    const { client, informers, events } = this.options;
    const node = informers.nodes.get(undefined, name) as Node | undefined;
    if (!node) {
      this.heartbeats.delete(name);
      return undefined;
    }
    const now = this.now();
    const lease = this.options.leases.get(nodeLeaseNamespace, name) as Lease | undefined;
    const health = heartbeatState(
      this.heartbeatAt(name, lease, now),
      lease?.spec?.leaseDurationSeconds,
      now.getTime(),
      this.timing.gracePeriodMs,
    );
    const changes = nodeChanges(node, health.stale, now);
    let current: Node = node;
    if (changes.taints) {
      current = (
        await client.update(nodes, undefined, name, {
          ...current,
          spec: { ...current.spec, taints: changes.taints },
        })
      ).object as Node;
    }
    if (changes.conditions) {
      current = (
        await client.updateStatus(nodes, undefined, name, {
          ...current,
          status: { ...current.status, conditions: changes.conditions },
        })
      ).object as Node;
      await events.record(current, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    }
    const waits: number[] = health.stale ? [] : [health.staleInMs];
    const taints = current.spec?.taints ?? [];
    for (const pod of informers.pods.byIndex(byNodeName, name) as Pod[]) {
      const delay = evictionDelayMs(pod, taints, now, this.timing.defaultTolerationSeconds);
      if (delay === undefined) continue;
      if (delay > 0) {
        waits.push(delay);
        continue;
      }
      try {
        await client.delete(pods, pod.metadata.namespace, pod.metadata.name ?? '', {
          preconditions: { uid: pod.metadata.uid },
        });
        await events.record(
          pod,
          'Normal',
          'TaintManagerEviction',
          `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`,
        );
      } catch (err) {
        if (!isMarinaError(err, 'NotFound')) throw err;
      }
    }
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
  }

  /** When the controller saw the node's heartbeat last; a new node (or lease) gets a full grace period from now. */
  private heartbeatAt(name: string, lease: Lease | undefined, now: Date): number {
    const renewTime = lease?.spec?.renewTime;
    const known = this.heartbeats.get(name);
    if (known && known.renewTime === renewTime) return known.seenAt;
    this.heartbeats.set(name, { renewTime, seenAt: now.getTime() });
    return now.getTime();
  }
}
