/**
 * The node agent (Marina's kubelet): registers its Node and renews its Lease, watches the pods bound to
 * its node, and runs them through the engine. It talks to the control plane only through a
 * ResourceClient and to containers only through the Engine's services, so it can run on another machine.
 *
 * One work queue of pod keys, fed by the pod informer (spec.nodeName = this node), by the engine's
 * container events (a container of a pod started, died, was removed), by probe results that flip, and by
 * each sync's own "look again at" time. At start it queues every pod the engine still holds something
 * for, so running pods are adopted and those deleted while the agent was away are cleaned up.
 */
import type { Logger } from 'pino';
import type { ResourceClient } from '../apiserver/resource-client.ts';
import type { EventSink } from '../controllers/event-recorder.ts';
import { runController } from '../controllers/runtime/controller.ts';
import { Informer, keyOf } from '../controllers/runtime/informer.ts';
import { WorkQueue } from '../controllers/runtime/work-queue.ts';
import { kindByName } from '../resources/registry.ts';
import { podKeysInEngine } from './engine-view.ts';
import { type ImagePull, ImagePuller } from './image-puller.ts';
import type { HostFacts } from './node-object.ts';
import { NodeRegistration } from './node-registration.ts';
import { podKeyOfLabels, podUidLabel } from './pod-labels.ts';
import { type AgentEngine, PodSync } from './pod-sync.ts';
import { ProbeWorkers } from './probe-workers.ts';
import { type BackoffPolicy, kubeletBackoff } from './restart-backoff.ts';
import { abortableSleep } from '../../abortable-sleep.ts';

/** Pause between attempts to register with a control plane that does not answer yet. */
const registerRetryMs = 2000;

/** Container events that change a pod's state (probe execs and the like do not). */
const podContainerChanges = new Set(['start', 'die', 'oom', 'destroy']);

export interface NodeAgentOptions {
  client: ResourceClient;
  engine: AgentEngine;
  /** Pulls images (the engine's registry client). */
  transfer: ImagePull;
  nodeName: string;
  facts: HostFacts;
  /** Where emptyDirs and configMap/secret files of pods live. */
  stateDir: string;
  /** The node's cluster DNS, which pods with dnsPolicy ClusterFirst resolve through (else the host's resolv.conf). */
  clusterDnsAddress?: string;
  events?: EventSink;
  logger: Logger;
  leaseRenewMs?: number;
  /** Crash-loop and image-pull back-off (default the kubelet's: 10 s doubling to 5 min). */
  backoff?: BackoffPolicy;
  resyncMs?: number;
  workers?: number;
}

export class NodeAgent {
  readonly #options: NodeAgentOptions;
  readonly #log: Logger;

  constructor(options: NodeAgentOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  /** Registers the node, then runs until `signal` aborts; the pods' containers keep running after. */
  async run(signal: AbortSignal): Promise<void> {
    const { client, engine, nodeName } = this.#options;
    const registration = new NodeRegistration({
      client,
      nodeName,
      facts: this.#options.facts,
      leaseRenewMs: this.#options.leaseRenewMs,
      logger: this.#log,
    });
    await this.#register(registration, signal);

    // Selected by the API server, so an agent on another machine is sent only its own node's pods.
    const pods = new Informer(client, kindByName('pods'), {
      selectors: { fieldSelector: `spec.nodeName=${nodeName}` },
      onError: (err) => this.#log.warn({ err }, 'pod watch failed; listing again'),
    });
    const queue = new WorkQueue();
    const enqueue = (key: string) => queue.add(key);
    pods.on({
      added: (pod) => enqueue(keyOf(pod)),
      updated: (_, pod) => enqueue(keyOf(pod)),
      deleted: (pod) => enqueue(keyOf(pod)),
    });
    const probes = new ProbeWorkers(
      { execs: engine.execs, events: engine.events },
      enqueue,
      this.#log.child({ part: 'probes' }),
    );
    const backoff = this.#options.backoff ?? kubeletBackoff;
    const resyncMs = this.#options.resyncMs ?? 10_000;
    const sync = new PodSync({
      client,
      engine,
      images: new ImagePuller(engine.images, this.#options.transfer, backoff),
      pods,
      probes,
      events: this.#options.events,
      hostIP: this.#options.facts.hostIP,
      stateDir: this.#options.stateDir,
      ...(this.#options.clusterDnsAddress ? { clusterDnsAddress: this.#options.clusterDnsAddress } : {}),
      backoff,
      resyncMs,
      logger: this.#log,
    });
    const loops = [
      registration.run(signal),
      pods.run(signal),
      this.#followEngine(enqueue, signal),
      this.#sweep(pods, enqueue, resyncMs, signal),
      runController(
        {
          name: 'node-agent',
          queue,
          synced: () => untilSynced(pods, signal),
          reconcile: (key) => sync.reconcile(key),
        },
        { workers: this.#options.workers ?? 4, logger: this.#log, signal },
      ),
    ];
    try {
      await Promise.all(loops);
    } finally {
      probes.stopAll();
    }
  }

  /**
   * Registers the node, trying again until the control plane answers: a joined node's marinad may start
   * before the control plane's, or while it restarts, as a kubelet waits for its API server.
   */
  async #register(registration: NodeRegistration, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await registration.register();
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#log.warn({ err }, 'registering the node failed; trying again');
      }
      await abortableSleep(registerRetryMs, signal);
    }
  }

  /** Queues the pod of every container event (started, died, OOM, removed). */
  async #followEngine(enqueue: (key: string) => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const events = this.#options.engine.events.subscribe(
          {
            filter: (e) =>
              e.type === 'container' &&
              podContainerChanges.has(e.action) &&
              podUidLabel in e.actor.attributes,
          },
          signal,
        );
        for await (const event of events) {
          const key = podKeyOfLabels(event.actor.attributes);
          if (key) enqueue(key);
        }
      } catch (err) {
        if (signal.aborted) break;
        this.#log.warn({ err }, 'following engine events failed; following again');
      }
      await abortableSleep(1000, signal);
    }
  }

  /**
   * Once the pods are listed, and then every resync period: queues every pod the engine holds anything
   * for (adoption at start, and clean-up of pods deleted from the API while the agent was away).
   */
  async #sweep(
    pods: Informer,
    enqueue: (key: string) => void,
    everyMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    await untilSynced(pods, signal);
    while (!signal.aborted) {
      try {
        for (const key of await podKeysInEngine(this.#options.engine)) enqueue(key);
      } catch (err) {
        this.#log.warn({ err }, 'listing the engine for pods failed');
      }
      await abortableSleep(everyMs, signal);
    }
  }
}

/** The informer's first list, or the end of the agent, whichever comes first. */
function untilSynced(informer: Informer, signal: AbortSignal): Promise<void> {
  return Promise.race([
    informer.synced(),
    new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
  ]);
}
