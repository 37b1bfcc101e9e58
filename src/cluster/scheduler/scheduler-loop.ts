/**
 * The scheduler's edge with the cluster: informers feed the snapshot (nodes, bound pods) and the
 * scheduling queue (pods waiting for a node); one loop takes the next pod, asks the pure Scheduler for a
 * node, assumes it in the snapshot at once (so the next pod sees it) and writes the binding
 * (`pods/NAME/binding`) without waiting, a bounded number at a time. A pod that fits nowhere gets a
 * FailedScheduling event and the PodScheduled=False condition with the reason, and is retried when the
 * cluster changes. A failed bind is forgotten in the snapshot and the pod retried after a back-off.
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../apiserver/api-kind.ts';
import type { ResourceClient } from '../apiserver/resource-client.ts';
import type { EventSink } from '../controllers/event-recorder.ts';
import type { Informer } from '../controllers/runtime/informer.ts';
import { kindByName } from '../resources/registry.ts';
import { podKey } from './pod-info.ts';
import { Scheduler, type SchedulerOptions } from './scheduler.ts';
import { SchedulingQueue, type QueueTimings } from './scheduling-queue.ts';
import { ClusterSnapshot } from './snapshot.ts';
import type { NodeView, PodView } from './types.ts';
import { kubeTime } from '../resources/kube-time.ts';

export interface SchedulerLoopOptions {
  client: ResourceClient;
  pods: Informer;
  nodes: Informer;
  events: EventSink;
  logger: Pick<Logger, 'warn' | 'debug'>;
  scheduler?: SchedulerOptions;
  queue?: Partial<QueueTimings>;
  /** Binds written at the same time (default 32). */
  maxBindsInFlight?: number;
}

const pods = kindByName('pod');

const isTerminal = (pod: KubeObject) => {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
};

export class SchedulerLoop {
  private readonly options: SchedulerLoopOptions;
  private readonly scheduler: Scheduler;
  private readonly snapshot = new ClusterSnapshot();
  private readonly queue: SchedulingQueue;
  private readonly binds = new Set<Promise<void>>();
  private wake: (() => void) | undefined;

  constructor(options: SchedulerLoopOptions) {
    this.options = options;
    this.scheduler = new Scheduler(options.scheduler);
    this.queue = new SchedulingQueue(options.queue);
    options.nodes.on({
      added: (node) => this.nodeChanged(node),
      updated: (_, node) => this.nodeChanged(node),
      deleted: (node) => {
        this.snapshot.removeNode(node.metadata.name ?? '');
        this.queue.clusterChanged(Date.now());
        this.poke();
      },
    });
    options.pods.on({
      added: (pod) => this.podChanged(pod),
      updated: (_, pod) => this.podChanged(pod),
      deleted: (pod) => {
        this.snapshot.removePod(pod as unknown as PodView);
        this.queue.delete(podKey(pod as unknown as PodView));
        this.queue.clusterChanged(Date.now());
        this.poke();
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.poke(), { once: true });
    await Promise.all([this.options.pods.synced(), this.options.nodes.synced()]);
    while (!signal.aborted) {
      const pod = this.queue.pop(Date.now());
      if (!pod) {
        await this.idle();
        continue;
      }
      if (this.binds.size >= (this.options.maxBindsInFlight ?? 32)) await Promise.race(this.binds);
      this.scheduleOne(pod);
    }
    await Promise.allSettled(this.binds);
  }

  private scheduleOne(pod: PodView): void {
    const key = podKey(pod);
    const result = this.scheduler.schedule(pod, this.snapshot);
    if (result.kind === 'Unschedulable') {
      this.queue.failed(key, Date.now());
      this.track(this.reportUnschedulable(pod, result.message));
      return;
    }
    this.snapshot.addPod(pod, result.node);
    this.track(this.bind(pod, result.node));
  }

  private async bind(pod: PodView, node: string): Promise<void> {
    const key = podKey(pod);
    const { namespace, name } = pod.metadata;
    try {
      await this.options.client.bind(pods, namespace ?? 'default', name ?? '', node);
      this.queue.done(key);
      await this.options.events.record(pod as unknown as KubeObject, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (err) {
      this.snapshot.removePod(key);
      this.queue.failed(key, Date.now());
      this.options.logger.warn({ err, pod: key, node }, 'binding failed; the pod is retried');
    }
  }

  private async reportUnschedulable(pod: PodView, message: string): Promise<void> {
    const object = pod as unknown as KubeObject;
    await this.options.events.record(object, 'Warning', 'FailedScheduling', message);
    const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: kubeTime() };
    const status = (object.status ?? {}) as { conditions?: { type: string }[] };
    const conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), condition];
    try {
      await this.options.client.patch(pods, pod.metadata.namespace, pod.metadata.name ?? '', { status: { phase: 'Pending', conditions } }, {
        type: 'merge',
        subresource: 'status',
      });
    } catch (err) {
      this.options.logger.debug({ err, pod: podKey(pod) }, 'could not write the unschedulable condition');
    }
  }

  private nodeChanged(node: KubeObject): void {
    this.snapshot.setNode(node as unknown as NodeView);
    this.queue.clusterChanged(Date.now());
    this.poke();
  }

  private podChanged(pod: KubeObject): void {
    const view = pod as unknown as PodView;
    const nodeName = view.spec.nodeName;
    if (nodeName) {
      this.queue.delete(podKey(view));
      if (isTerminal(pod)) this.snapshot.removePod(view);
      else this.snapshot.addPod(view, nodeName);
      return;
    }
    if (pod.metadata.deletionTimestamp || !this.scheduler.responsibleFor(view)) return;
    this.queue.add(view, Date.now());
    this.poke();
  }

  private track(work: Promise<void>): void {
    this.binds.add(work);
    void work.finally(() => this.binds.delete(work));
  }

  /** Sleeps until something is queued or the earliest back-off ends. */
  private idle(): Promise<void> {
    const expiry = this.queue.nextBackoffExpiry();
    return new Promise((resolve) => {
      const timer = expiry === undefined ? undefined : setTimeout(resolve, Math.max(1, expiry - Date.now()));
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private poke(): void {
    this.wake?.();
  }
}
