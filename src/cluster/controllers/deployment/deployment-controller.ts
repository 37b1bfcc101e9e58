/**
 * The Deployment controller: one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`), rolled
 * out by the Deployment's strategy — RollingUpdate within maxSurge/maxUnavailable, or Recreate (old pods
 * gone before new ones start) — with revisions, history pruning, pause, resize and the progress deadline.
 * Sizes and conditions are decided in replica-arithmetic.ts and deployment-status.ts; this file reads the
 * informers' cache and writes the ReplicaSets and the status. Like Kubernetes' controller, each reconcile
 * takes at most one rollout step and waits for the ReplicaSets' status to show its effect.
 */
import { isMarinaError, MarinaError } from '../../../errors.ts';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { ResourceClient } from '../../apiserver/resource-client.ts';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../resources/apps-schemas.ts';
import { labelSelectorMatches } from '../../resources/label-selector.ts';
import { controllerOf, isControlledBy, newControllerRef } from '../../resources/owner-references.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import { byControllerUid, type ControllerInformers } from '../informers.ts';
import { isPodFinished } from '../replicaset/pod-state.ts';
import { claim, withControllerRef } from '../replicaset/replica-decisions.ts';
import { withoutOwner } from '../../resources/owner-references.ts';
import type { EventSink } from '../event-recorder.ts';
import type { Controller, ReconcileResult } from '../runtime/controller.ts';
import { keyOf } from '../runtime/informer.ts';
import { statusChanged } from '../runtime/status-changed.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import {
  calculateStatus,
  condition,
  getCondition,
  isComplete,
  pausedConditions,
  progressDeadline,
  reasons,
  rolloutStatus,
  setCondition,
} from './deployment-status.ts';
import { podTemplateHash, podTemplateHashLabel, sameTemplate } from './pod-template-hash.ts';
import {
  byCreation,
  desiredReplicasAnnotation,
  initialNewReplicas,
  isRollingUpdate,
  isScalingEvent,
  type Resize,
  replicasOf,
  scaleDownOld,
  scaleToReplicas,
  scaleUpNew,
} from './replica-arithmetic.ts';
import { nextRevision, replicaSetsToPrune, revisionAnnotation, revisionOf } from './revisions.ts';

export interface DeploymentControllerOptions {
  client: ResourceClient;
  informers: Pick<ControllerInformers, 'pods' | 'replicaSets' | 'deployments'>;
  events: EventSink;
  now?: () => number;
  queue?: WorkQueue;
}

const deploymentKind = kindByName('deployments');
const replicaSetKind = kindByName('replicasets');

export function newDeploymentController(options: DeploymentControllerOptions): Controller {
  return new DeploymentController(options);
}

/** One reconcile's view: the Deployment (its status updated as the step goes) and its ReplicaSets. */
interface Step {
  d: Deployment;
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
  now: number;
}

class DeploymentController implements Controller {
  readonly name = 'deployment';
  readonly queue: WorkQueue;
  private readonly client: ResourceClient;
  private readonly informers: DeploymentControllerOptions['informers'];
  private readonly events: EventSink;
  private readonly now: () => number;

  constructor(options: DeploymentControllerOptions) {
    this.client = options.client;
    this.informers = options.informers;
    this.events = options.events;
    this.now = options.now ?? Date.now;
    this.queue = options.queue ?? new WorkQueue();
    const enqueue = (object: KubeObject) => this.queue.add(keyOf(object));
    this.informers.deployments.on({ added: enqueue, updated: (_, d) => enqueue(d), deleted: enqueue });
    const rsChanged = (rs: KubeObject) => this.replicaSetChanged(rs as ReplicaSet);
    this.informers.replicaSets.on({
      added: rsChanged,
      updated: (previous, rs) => {
        this.replicaSetChanged(previous as ReplicaSet);
        rsChanged(rs);
      },
      deleted: rsChanged,
    });
    // Recreate waits for the old pods to be gone, which no ReplicaSet status shows.
    this.informers.pods.on({ deleted: (pod) => this.podDeleted(pod as Pod) });
  }

  async synced(): Promise<void> {
    await Promise.all([this.informers.pods, this.informers.replicaSets, this.informers.deployments].map((i) => i.synced()));
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const cached = this.informers.deployments.getByKey(key) as Deployment | undefined;
    if (!cached) return undefined;
    const d = structuredClone(cached);
    const now = this.now();
    const rss = await this.claimReplicaSets(d);
    if (d.metadata.deletionTimestamp) {
      await this.writeStatus(d, calculateStatus(d, rss.find((rs) => sameTemplate(rs.spec.template, d.spec.template)), rss, now));
      return undefined;
    }
    const paused = pausedConditions(d, now);
    if (paused) d.status = { ...d.status, conditions: paused };

    const existing = this.splitReplicaSets(d, rss);
    if (d.spec.paused || isScalingEvent(d, existing.newRS, existing.oldRSs)) return this.resize(d, rss, now);
    if (!isRollingUpdate(d)) return this.recreate(d, rss, now);
    return this.rollingUpdate(d, rss, now);
  }

  /** Paused or resized: follow `replicas` without rolling out; keep the history trimmed. */
  private async resize(d: Deployment, rss: ReplicaSet[], now: number): Promise<ReconcileResult | undefined> {
    const step = await this.syncRevision(d, rss, false, now);
    await this.apply(step, scaleToReplicas(d, step.newRS, step.oldRSs));
    if (d.spec.paused) await this.prune(step);
    await this.writeStatus(d, calculateStatus(d, step.newRS, allOf(step), now));
    return undefined;
  }

  private async rollingUpdate(d: Deployment, rss: ReplicaSet[], now: number): Promise<ReconcileResult | undefined> {
    const step = await this.syncRevision(d, rss, true, now);
    const newRS = step.newRS!;
    const scaleUp = scaleUpNew(d, newRS, allOf(step));
    const scaleDown = scaleUp ? [] : scaleDownOld(d, newRS, step.oldRSs);
    await this.apply(step, scaleUp ? [scaleUp] : scaleDown);
    return this.finishStep(step, !scaleUp && scaleDown.length === 0);
  }

  private async recreate(d: Deployment, rss: ReplicaSet[], now: number): Promise<ReconcileResult | undefined> {
    let step = await this.syncRevision(d, rss, false, now);
    const activeOld = step.oldRSs.filter((rs) => replicasOf(rs) > 0);
    if (activeOld.length > 0) {
      await this.apply(step, activeOld.map((rs) => ({ rs, replicas: 0 })));
      return this.finishStep(step, false);
    }
    if (this.oldPodsRemain(step.oldRSs)) return this.finishStep(step, false);
    if (!step.newRS) step = await this.syncRevision(d, rss, true, now);
    const newRS = step.newRS!;
    const replicas = d.spec.replicas ?? 1;
    await this.apply(step, replicasOf(newRS) === replicas ? [] : [{ rs: newRS, replicas }]);
    return this.finishStep(step, true);
  }

  /** Writes the rollout status; once the rollout is complete, prunes the history; looks again at the deadline. */
  private async finishStep(step: Step, mayPrune: boolean): Promise<ReconcileResult | undefined> {
    const status = rolloutStatus(step.d, step.newRS, allOf(step), step.now);
    if (mayPrune && isComplete(step.d, status)) await this.prune(step);
    await this.writeStatus(step.d, status);
    const deadline = isComplete(step.d, status) ? undefined : progressDeadline(step.d, status);
    // A second past the deadline: condition times are whole seconds.
    return deadline === undefined || deadline < step.now ? undefined : { requeueAfterMs: deadline - step.now + 1000 };
  }

  private splitReplicaSets(d: Deployment, rss: readonly ReplicaSet[]): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
    const newRS = rss.filter((rs) => sameTemplate(rs.spec.template, d.spec.template)).sort(byCreation)[0];
    return { newRS, oldRSs: rss.filter((rs) => rs !== newRS) };
  }

  /**
   * Finds (or, with `create`, makes) the ReplicaSet of the current template and gives it, and the
   * Deployment, the next revision when it is not the newest yet (a rollback makes an old one new again).
   */
  private async syncRevision(d: Deployment, rss: readonly ReplicaSet[], create: boolean, now: number): Promise<Step> {
    const { newRS: found, oldRSs } = this.splitReplicaSets(d, rss);
    const revision = nextRevision(oldRSs);
    let newRS = found;
    if (newRS) {
      const minReadySeconds = d.spec.minReadySeconds;
      if (revisionOf(newRS) < revision || newRS.spec.minReadySeconds !== minReadySeconds) {
        newRS = await this.updateReplicaSet({
          ...newRS,
          metadata: { ...newRS.metadata, annotations: { ...newRS.metadata.annotations, [revisionAnnotation]: String(Math.max(revision, revisionOf(newRS))) } },
          spec: { ...newRS.spec, minReadySeconds },
        });
      }
      if (!getCondition(d.status, 'Progressing') && d.spec.progressDeadlineSeconds !== undefined) {
        this.setCondition(d, condition('Progressing', 'True', reasons.foundNewReplicaSet, `Found new replica set "${newRS.metadata.name}"`, now));
      }
    } else if (create) {
      newRS = await this.createReplicaSet(d, oldRSs, revision, now);
    }
    if (newRS) await this.setDeploymentRevision(d, revisionOf(newRS));
    return { d, newRS, oldRSs, now };
  }

  private async createReplicaSet(d: Deployment, oldRSs: readonly ReplicaSet[], revision: number, now: number): Promise<ReplicaSet> {
    const hash = podTemplateHash(d.spec.template, d.status?.collisionCount);
    const labels = { ...d.spec.template.metadata?.labels, [podTemplateHashLabel]: hash };
    const replicas = initialNewReplicas(d, oldRSs);
    const body: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels,
        annotations: { [revisionAnnotation]: String(revision), [desiredReplicasAnnotation]: String(d.spec.replicas ?? 1) },
        ownerReferences: [newControllerRef(d)],
      },
      spec: {
        replicas,
        minReadySeconds: d.spec.minReadySeconds,
        selector: { ...d.spec.selector, matchLabels: { ...d.spec.selector.matchLabels, [podTemplateHashLabel]: hash } },
        template: { ...structuredClone(d.spec.template), metadata: { ...d.spec.template.metadata, labels } },
      },
    };
    let created: ReplicaSet;
    try {
      created = (await this.client.create(replicaSetKind, d.metadata.namespace, body)).object as ReplicaSet;
    } catch (err) {
      if (!isMarinaError(err, 'Conflict')) throw err;
      const existing = (await this.client.get(replicaSetKind, d.metadata.namespace, body.metadata.name!)) as ReplicaSet;
      if (isControlledBy(existing, d) && sameTemplate(existing.spec.template, d.spec.template)) return existing;
      // Another template hashed to the same name: count the collision so the next hash differs.
      await this.patchStatus(d, { collisionCount: (d.status?.collisionCount ?? 0) + 1 });
      throw new MarinaError('Conflict', `replica set ${body.metadata.name} exists with another template: hash collision, retrying`);
    }
    if (replicas > 0) await this.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} to ${replicas}`);
    if (d.spec.progressDeadlineSeconds !== undefined) {
      this.setCondition(d, condition('Progressing', 'True', reasons.newReplicaSetCreated, `Created new replica set "${created.metadata.name}"`, now));
    }
    return created;
  }

  private async setDeploymentRevision(d: Deployment, revision: number): Promise<void> {
    if (revision === 0 || revisionOf(d) === revision) return;
    const annotations = { ...d.metadata.annotations, [revisionAnnotation]: String(revision) };
    const written = (await this.client.update(deploymentKind, d.metadata.namespace, d.metadata.name!, { ...d, metadata: { ...d.metadata, annotations } })).object;
    d.metadata = written.metadata;
  }

  /** Resizes ReplicaSets (recording the Deployment's size on each), replacing them in the step. */
  private async apply(step: Step, resizes: readonly Resize[]): Promise<void> {
    const desired = String(step.d.spec.replicas ?? 1);
    for (const { rs, replicas } of resizes) {
      const from = replicasOf(rs);
      const written = await this.updateReplicaSet({
        ...rs,
        metadata: { ...rs.metadata, annotations: { ...rs.metadata.annotations, [desiredReplicasAnnotation]: desired } },
        spec: { ...rs.spec, replicas },
      });
      if (step.newRS === rs) step.newRS = written;
      else step.oldRSs = step.oldRSs.map((old) => (old === rs ? written : old));
      const direction = replicas > from ? 'up' : 'down';
      await this.record(step.d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} to ${replicas} from ${from}`);
    }
  }

  private async prune(step: Step): Promise<void> {
    for (const rs of replicaSetsToPrune(step.d, step.oldRSs)) {
      try {
        await this.client.delete(replicaSetKind, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
      } catch (err) {
        if (!isMarinaError(err, 'NotFound')) throw err;
      }
      step.oldRSs = step.oldRSs.filter((old) => old !== rs);
    }
  }

  /** Any pod of an old ReplicaSet not finished yet, including those still stopping. */
  private oldPodsRemain(oldRSs: readonly ReplicaSet[]): boolean {
    return oldRSs.some((rs) =>
      (this.informers.pods.byIndex(byControllerUid, rs.metadata.uid ?? '') as Pod[]).some((pod) => !isPodFinished(pod)),
    );
  }

  /** The Deployment's ReplicaSets, adopting matching orphans and releasing those that stopped matching. */
  private async claimReplicaSets(d: Deployment): Promise<ReplicaSet[]> {
    const claims = claim(d, this.informers.replicaSets.list(d.metadata.namespace) as ReplicaSet[]);
    for (const rs of claims.release) {
      await this.updateReplicaSet({ ...rs, metadata: { ...rs.metadata, ownerReferences: withoutOwner(rs, d.metadata.uid!) } }, true);
    }
    const adopted: ReplicaSet[] = [];
    for (const rs of claims.adopt) {
      const ownerReferences = withControllerRef(rs, newControllerRef(d));
      const written = await this.updateReplicaSet({ ...rs, metadata: { ...rs.metadata, ownerReferences } }, true);
      if (written) adopted.push(written);
    }
    return [...claims.owned, ...adopted];
  }

  /** Writes the ReplicaSet if unchanged since read (a conflict retries the reconcile). */
  private async updateReplicaSet(rs: ReplicaSet): Promise<ReplicaSet>;
  private async updateReplicaSet(rs: ReplicaSet, mayBeGone: true): Promise<ReplicaSet | undefined>;
  private async updateReplicaSet(rs: ReplicaSet, mayBeGone = false): Promise<ReplicaSet | undefined> {
    try {
      return (await this.client.update(replicaSetKind, rs.metadata.namespace, rs.metadata.name!, rs)).object as ReplicaSet;
    } catch (err) {
      if (mayBeGone && isMarinaError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  private setCondition(d: Deployment, next: ReturnType<typeof condition>): void {
    d.status = { ...d.status, conditions: setCondition(d.status?.conditions ?? [], next) };
  }

  private async writeStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    const cached = this.informers.deployments.get(d.metadata.namespace, d.metadata.name!) as Deployment | undefined;
    if (!statusChanged(cached?.status, status)) return;
    await this.patchStatus(d, status);
  }

  private async patchStatus(d: Deployment, status: Partial<DeploymentStatus>): Promise<void> {
    try {
      await this.client.patch(deploymentKind, d.metadata.namespace, d.metadata.name!, { status }, { type: 'merge', subresource: 'status' });
    } catch (err) {
      if (!isMarinaError(err, 'NotFound')) throw err;
    }
  }

  private replicaSetChanged(rs: ReplicaSet): void {
    const ref = controllerOf(rs);
    if (ref) {
      if (ref.kind === 'Deployment') this.queue.add(`${rs.metadata.namespace}/${ref.name}`);
      return;
    }
    for (const d of this.informers.deployments.list(rs.metadata.namespace) as Deployment[]) {
      if (labelSelectorMatches(d.spec.selector, rs.metadata.labels)) this.queue.add(keyOf(d));
    }
  }

  private podDeleted(pod: Pod): void {
    const ref = controllerOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.informers.replicaSets.get(pod.metadata.namespace, ref.name) as ReplicaSet | undefined;
    const owner = rs && controllerOf(rs);
    if (owner?.kind === 'Deployment') this.queue.add(`${pod.metadata.namespace}/${owner.name}`);
  }

  private async record(d: Deployment, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.events.record(d as KubeObject, type, reason, message).catch(() => undefined);
  }
}

function allOf(step: Step): ReplicaSet[] {
  return step.newRS ? [step.newRS, ...step.oldRSs] : [...step.oldRSs];
}
