/**
 * The agent's reconcile for one pod key, level-triggered: it compares the pod bound to this node with
 * what the engine holds for it (engine-view.ts) and takes the next steps — the sandbox, init containers
 * one by one to completion, then the app containers, restarts with back-off, kills on failed liveness —
 * then writes the pod's status when it changed. A pod being deleted is stopped gracefully and removed;
 * engine parts of a pod the API no longer has (or of an older pod with the same name) are removed.
 * Decisions are pure (container-step.ts, pod-status.ts, container-env.ts …); this file only applies them.
 */
import type { Logger } from 'pino';
import type { ContainerSummary } from '../../engine/container-types.ts';
import type { SandboxRecord } from '../../engine/sandbox-types.ts';
import type { Engine } from '../../engine/services.ts';
import { isMarinaError } from '../../errors.ts';
import type { KubeObject } from '../apiserver/api-kind.ts';
import type { ResourceClient } from '../apiserver/resource-client.ts';
import type { EventSink } from '../controllers/event-recorder.ts';
import type { ReconcileResult } from '../controllers/runtime/controller.ts';
import type { Informer } from '../controllers/runtime/informer.ts';
import type { ConfigMap, Secret } from '../resources/core-schemas.ts';
import type { Container, Pod } from '../resources/pod-schemas.ts';
import { kindByName } from '../resources/registry.ts';
import { getOrUndefined } from './api-reads.ts';
import { sandboxDnsFields } from './cluster-dns/pod-sandbox-dns.ts';
import { type EnvObjects, referencedObjects, resolveEnv } from './container-env.ts';
import { containerCreateRequest } from './container-request.ts';
import { containerStep } from './container-step.ts';
import { attemptObservation, type PodParts, podPartsOf, ranForMs } from './engine-view.ts';
import type { ImagePuller } from './image-puller.ts';
import { attemptOf, type ContainerRole, podLabels } from './pod-labels.ts';
import { statusChanged } from '../controllers/runtime/status-changed.ts';
import { computePodStatus, type ContainerObservation } from './pod-status.ts';
import { mountsFor, type PreparedVolumes, prepareVolumes, removePodDirectory } from './pod-volumes.ts';
import { type ActionDeps, runHandler } from './probe-actions.ts';
import type { ProbeWorkers } from './probe-workers.ts';
import { type BackoffPolicy, type BackoffState, countExit, restartDelayMs } from './restart-backoff.ts';
import { kubeTime } from '../resources/kube-time.ts';

const pods = kindByName('pods');
const configMaps = kindByName('configmaps');
const secrets = kindByName('secrets');

export type AgentEngine = Pick<
  Engine,
  'containers' | 'execs' | 'events' | 'sandboxes' | 'volumes' | 'images'
>;

export interface PodSyncOptions {
  client: ResourceClient;
  engine: AgentEngine;
  images: ImagePuller;
  pods: Informer;
  probes: ProbeWorkers;
  events?: EventSink;
  hostIP: string;
  stateDir: string;
  backoff: BackoffPolicy;
  /** Every pod is looked at again this often, whatever happens (default 10 s). */
  resyncMs: number;
  logger: Logger;
  /** The node's cluster DNS, which ClusterFirst pods resolve through; without it they get the host's resolv.conf. */
  clusterDnsAddress?: string;
}

/** What one sync found and decided for a pod, gathered while walking its containers. */
interface SyncRound {
  /** The pod's key (`namespace/name`), as the queue gave it. */
  key: string;
  pod: Pod;
  parts: PodParts;
  sandbox: SandboxRecord;
  /** Looked up once per round, only when a container is made. */
  objects?: EnvObjects;
  volumes?: PreparedVolumes;
  requeueMs: number;
  failure?: { reason: string; message: string };
}

export class PodSync {
  readonly #options: PodSyncOptions;
  readonly #log: Logger;
  /** Crash-loop back-off per `uid/container`, in memory as the kubelet keeps it. */
  readonly #backoff = new Map<string, BackoffState>();

  constructor(options: PodSyncOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const pod = this.#options.pods.getByKey(key) as Pod | undefined;
    const parts = await podPartsOf(this.#options.engine, key);
    for (const [uid, stale] of parts) {
      if (uid !== pod?.metadata.uid) await this.#removeParts(stale);
    }
    if (!pod) return undefined;
    const own = parts.get(pod.metadata.uid ?? '') ?? {
      uid: pod.metadata.uid ?? '',
      sandbox: undefined,
      containers: new Map(),
    };
    if (pod.metadata.deletionTimestamp) {
      await this.#terminate(pod, own);
      return undefined;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      await this.#stopRunning(pod, own, 0);
      return undefined;
    }
    return await this.#run(key, pod, own);
  }

  async #run(key: string, pod: Pod, parts: PodParts): Promise<ReconcileResult> {
    const sandbox = await this.#ensureSandbox(pod, parts);
    const round: SyncRound = { key, pod, parts, sandbox, requeueMs: this.#options.resyncMs };
    const initContainers: ContainerObservation[] = [];
    let initialized = true;
    for (const container of pod.spec.initContainers ?? []) {
      const observation = await this.#syncContainer(round, container, 'init', initialized);
      initContainers.push(observation);
      const succeeded =
        observation.current?.status === 'exited' &&
        observation.current.exitCode === 0 &&
        !observation.waiting;
      if (!succeeded) initialized = false;
    }
    const containers: ContainerObservation[] = [];
    for (const container of pod.spec.containers)
      containers.push(await this.#syncContainer(round, container, 'app', initialized));
    const status = computePodStatus(
      pod,
      { podIP: sandbox.ip, hostIP: this.#options.hostIP, initContainers, containers, failure: round.failure },
      kubeTime(new Date()),
    );
    if (statusChanged(pod.status, status)) await this.#writeStatus(pod, status);
    return { requeueAfterMs: round.requeueMs };
  }

  /** Observes one pod container and takes its next step (only when `mayRun`: init containers go in order). */
  async #syncContainer(
    round: SyncRound,
    container: Container,
    role: ContainerRole,
    mayRun: boolean,
  ): Promise<ContainerObservation> {
    const { pod, parts } = round;
    const attempts = parts.containers.get(container.name) ?? [];
    const [current, previous] = await Promise.all(
      attempts.slice(0, 2).map((a) => this.#options.engine.containers.inspect(a.id).then(attemptObservation)),
    );
    await this.#removeOldAttempts(attempts.slice(2));
    const attempt = attempts[0] ? attemptOf(attempts[0].labels) : 0;
    const observation: ContainerObservation = {
      name: container.name,
      image: container.image ?? '',
      current,
      previous,
      restartCount: attempt,
      ready: false,
      started: false,
    };
    const { probes } = this.#options;
    if (current && current.status !== 'running') probes.stop([current.containerId]);
    if (!mayRun) {
      if (role === 'app' && !current) observation.waiting = { reason: 'PodInitializing' };
      return observation;
    }
    const backoffKey = `${pod.metadata.uid}/${container.name}`;
    let delay = 0;
    if (current?.status === 'exited') {
      const counted = countExit(
        this.#backoff.get(backoffKey),
        current.containerId,
        ranForMs(current),
        this.#options.backoff,
      );
      this.#backoff.set(backoffKey, counted);
      delay = restartDelayMs(counted, this.#options.backoff);
    }
    const step = containerStep({
      role,
      restartPolicy: pod.spec.restartPolicy ?? 'Always',
      current,
      attempt,
      unhealthy: current && role === 'app' ? probes.unhealthy(current.containerId) : undefined,
      restartDelayMs: delay,
      now: Date.now(),
    });
    switch (step.action) {
      case 'running':
        this.#watchRunning(round, container, role, observation);
        break;
      case 'done':
        if (role === 'init' && !step.succeeded) {
          round.failure = {
            reason: 'Failed',
            message: `init container ${container.name} failed with exit code ${current?.exitCode}`,
          };
        }
        break;
      case 'backoff':
        observation.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.ceil(delay / 1000)}s restarting failed container=${container.name} pod=${pod.metadata.name}`,
        };
        round.requeueMs = Math.min(round.requeueMs, step.remainingMs);
        break;
      case 'kill':
        await this.#record(
          pod,
          'Warning',
          'Unhealthy',
          `Container ${container.name}: ${step.reason}; it will be restarted`,
        );
        probes.stop([current!.containerId]);
        await this.#options.engine.containers
          .stop(current!.containerId, { timeoutSeconds: pod.spec.terminationGracePeriodSeconds ?? 30 })
          .catch((err) =>
            this.#log.warn(
              { err, container: current!.containerId },
              'stopping an unhealthy container failed',
            ),
          );
        round.requeueMs = 0;
        break;
      case 'start':
        await this.#startContainer(round, container, current!.containerId, observation);
        break;
      case 'create':
        await this.#createContainer(round, container, role, step.attempt, observation);
        break;
    }
    // A container this round started is running now: its probes start and its readiness goes into this
    // round's status, not the next round's (which waits behind every other queued pod).
    if ((step.action === 'start' || step.action === 'create') && observation.current?.status === 'running') {
      this.#watchRunning(round, container, role, observation);
    }
    return observation;
  }

  /** Probes for a running app container, and what they say of it so far. */
  #watchRunning(round: SyncRound, container: Container, role: ContainerRole, observation: ContainerObservation): void {
    if (role !== 'app' || !observation.current) return;
    const { probes } = this.#options;
    const id = observation.current.containerId;
    probes.ensure({
      podKey: round.key,
      containerId: id,
      container,
      podIP: round.sandbox.ip,
      startedAt: observation.current.startedAt,
    });
    observation.ready = probes.ready(id);
    observation.started = probes.started(id);
  }

  async #createContainer(
    round: SyncRound,
    container: Container,
    role: ContainerRole,
    attempt: number,
    observation: ContainerObservation,
  ): Promise<void> {
    const { pod } = round;
    const waitFor = (reason: string, message: string, retryMs: number) => {
      observation.waiting = { reason, message };
      round.requeueMs = Math.min(round.requeueMs, retryMs);
    };
    const image = await this.#options.images.ensure(container.image ?? '', container.imagePullPolicy);
    if (!image.ok) {
      await this.#record(
        pod,
        'Warning',
        image.reason === 'ErrImagePull' ? 'Failed' : 'BackOff',
        image.message,
      );
      return waitFor(image.reason, image.message, image.retryInMs);
    }
    round.objects ??= await this.#lookUpObjects(pod);
    const env = resolveEnv(container, pod, round.objects, {
      podIP: round.sandbox.ip,
      hostIP: this.#options.hostIP,
    });
    if (!env.ok) {
      await this.#record(pod, 'Warning', 'Failed', `Error: ${env.message}`);
      return waitFor('CreateContainerConfigError', env.message, this.#options.resyncMs);
    }
    let record: { id: string };
    try {
      round.volumes ??= await prepareVolumes(pod, {
        stateDir: this.#options.stateDir,
        volumes: this.#options.engine.volumes,
        objects: round.objects,
      });
      const request = containerCreateRequest({
        pod,
        container,
        role,
        attempt,
        sandboxId: round.sandbox.id,
        env: env.env,
        mounts: mountsFor(container, round.volumes),
      });
      record = await this.#options.engine.containers.create(request);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.#record(pod, 'Warning', 'Failed', `Error: ${message}`);
      return waitFor(
        isMarinaError(err, 'Invalid') ? 'CreateContainerConfigError' : 'CreateContainerError',
        message,
        this.#options.resyncMs,
      );
    }
    await this.#record(pod, 'Normal', 'Created', `Created container ${container.name}`);
    observation.restartCount = attempt;
    await this.#startContainer(round, container, record.id, observation);
  }

  async #startContainer(
    round: SyncRound,
    container: Container,
    id: string,
    observation: ContainerObservation,
  ): Promise<void> {
    try {
      await this.#options.engine.containers.start(id);
      await this.#record(round.pod, 'Normal', 'Started', `Started container ${container.name}`);
    } catch (err) {
      if (!isMarinaError(err, 'NotModified')) {
        await this.#record(
          round.pod,
          'Warning',
          'Failed',
          `Error: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    // What the engine now says is what the status shows; the next round takes it from there.
    observation.current = attemptObservation(await this.#options.engine.containers.inspect(id));
    observation.waiting = undefined;
    round.requeueMs = 0;
  }

  /** The pod's sandbox, made when missing; a broken one (or one whose containers lost it) is made again. */
  async #ensureSandbox(pod: Pod, parts: PodParts): Promise<SandboxRecord> {
    const { sandboxes } = this.#options.engine;
    if (parts.sandbox?.status === 'ready') return parts.sandbox;
    if (parts.sandbox) await sandboxes.remove(parts.sandbox.id, { force: true });
    // Containers cannot move to a new sandbox: whatever is left of the pod starts over.
    await this.#removeContainers(parts);
    const uid = pod.metadata.uid ?? '';
    const sandbox = await sandboxes.create({
      id: uid,
      name: podHostname(pod),
      labels: podLabels(pod),
      ports: hostPorts(pod),
      ...(await sandboxDnsFields(pod, this.#options.clusterDnsAddress)),
    });
    parts.sandbox = sandbox;
    return sandbox;
  }

  async #lookUpObjects(pod: Pod): Promise<EnvObjects> {
    const namespace = pod.metadata.namespace;
    const wanted = referencedObjects(pod);
    const [maps, secretList] = await Promise.all([
      Promise.all(
        wanted.configMaps.map(
          async (name) =>
            [name, await getOrUndefined(this.#options.client, configMaps, namespace, name)] as const,
        ),
      ),
      Promise.all(
        wanted.secrets.map(
          async (name) =>
            [name, await getOrUndefined(this.#options.client, secrets, namespace, name)] as const,
        ),
      ),
    ]);
    const mapByName = new Map(maps);
    const secretByName = new Map(secretList);
    return {
      configMap: (name) => mapByName.get(name) as ConfigMap | undefined,
      secret: (name) => secretByName.get(name) as Secret | undefined,
    };
  }

  /**
   * Graceful termination: preStop hooks, then the stop signal with what is left of the grace period
   * (SIGKILL after it), then the containers, sandbox and pod directory go, and the pod is deleted for good.
   */
  async #terminate(pod: Pod, parts: PodParts): Promise<void> {
    const deadline = Date.parse(pod.metadata.deletionTimestamp ?? '');
    const remainingMs = () => (Number.isNaN(deadline) ? 0 : Math.max(0, deadline - Date.now()));
    await this.#stopRunning(pod, parts, remainingMs(), remainingMs);
    await this.#removeParts(parts);
    try {
      await this.#options.client.delete(pods, pod.metadata.namespace, pod.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (!isMarinaError(err, 'NotFound') && !isMarinaError(err, 'Conflict')) throw err;
    }
  }

  /** Stops the pod's running containers in parallel, running their preStop hooks first when `remainingMs` is given. */
  async #stopRunning(pod: Pod, parts: PodParts, graceMs: number, remainingMs?: () => number): Promise<void> {
    const specs = new Map(
      [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => [c.name, c]),
    );
    const { containers, execs, events } = this.#options.engine;
    const running = [...parts.containers.entries()].flatMap(([name, attempts]) =>
      attempts.filter((a) => a.status === 'running').map((a) => ({ name, summary: a })),
    );
    this.#options.probes.stop(running.map((r) => r.summary.id));
    await Promise.all(
      running.map(async ({ name, summary }) => {
        const preStop = specs.get(name)?.lifecycle?.preStop;
        if (preStop && remainingMs) {
          const container = specs.get(name)!;
          const deps: ActionDeps = { execs, events };
          await runHandler(
            deps,
            preStop,
            { containerId: summary.id, container, podIP: parts.sandbox?.ip ?? '' },
            remainingMs(),
          ).catch((err) => this.#log.warn({ err, container: summary.id }, 'preStop hook failed'));
        }
        const left = remainingMs ? remainingMs() : graceMs;
        await this.#record(pod, 'Normal', 'Killing', `Stopping container ${name}`);
        await containers
          .stop(summary.id, { timeoutSeconds: Math.ceil(left / 1000) })
          .catch((err) => this.#log.warn({ err, container: summary.id }, 'stopping a pod container failed'));
      }),
    );
  }

  /** Removes everything the engine holds for one pod uid, and the agent's memory of it. */
  async #removeParts(parts: PodParts): Promise<void> {
    await this.#removeContainers(parts);
    if (parts.sandbox) {
      await this.#options.engine.sandboxes.remove(parts.sandbox.id, { force: true }).catch((err) => {
        if (!isMarinaError(err, 'NotFound')) throw err;
      });
      parts.sandbox = undefined;
    }
    await removePodDirectory(this.#options.stateDir, parts.uid);
    for (const key of this.#backoff.keys()) if (key.startsWith(`${parts.uid}/`)) this.#backoff.delete(key);
  }

  async #removeContainers(parts: PodParts): Promise<void> {
    const all = [...parts.containers.values()].flat();
    this.#options.probes.stop(all.map((c) => c.id));
    await this.#removeOldAttempts(all);
    parts.containers.clear();
  }

  async #removeOldAttempts(attempts: readonly ContainerSummary[]): Promise<void> {
    for (const attempt of attempts) {
      await this.#options.engine.containers.remove(attempt.id, { force: true }).catch((err) => {
        if (!isMarinaError(err, 'NotFound')) throw err;
      });
    }
  }

  async #writeStatus(pod: Pod, status: Pod['status']): Promise<void> {
    const { name, namespace, uid } = pod.metadata;
    try {
      await this.#options.client.updateStatus(pods, namespace, name ?? '', {
        metadata: { name, namespace, uid },
        status,
      });
    } catch (err) {
      // Deleted, or deleted and created again, meanwhile: the informer brings the news, then a new sync.
      if (!isMarinaError(err, 'NotFound') && !isMarinaError(err, 'Conflict')) throw err;
    }
  }

  async #record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.#options.events?.record(pod as unknown as KubeObject, type, reason, message).catch(() => {});
  }
}

/** The pod's hostname: spec.hostname, else its name, cut to the 63 characters a hostname may have. */
export function podHostname(pod: Pod): string {
  const name = pod.spec.hostname || pod.metadata.name || 'pod';
  return name.slice(0, 63).replace(/[^a-zA-Z0-9]+$/, '');
}

/** The ports containers ask the host to publish (`hostPort`), for the sandbox. */
export function hostPorts(
  pod: Pod,
): { protocol: 'tcp' | 'udp'; containerPort: number; hostPort: number; hostIp?: string }[] {
  return pod.spec.containers.flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => p.hostPort)
      .map((p) => ({
        protocol: (p.protocol ?? 'TCP').toUpperCase() === 'UDP' ? ('udp' as const) : ('tcp' as const),
        containerPort: p.containerPort,
        hostPort: p.hostPort as number,
        ...(p.hostIP ? { hostIp: p.hostIP } : {}),
      })),
  );
}
