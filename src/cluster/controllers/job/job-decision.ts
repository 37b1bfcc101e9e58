/**
 * The Job controller's decision, pure: given a Job, the pods it controls and the time, what its status
 * is, which pods to create (and with which completion index) and delete, and when to look again.
 * Kubernetes' rules (pkg/controller/job), kept to what Marina supports:
 *
 * - at most `parallelism` pods active; NonIndexed: `completions` successful pods finish the Job (none
 *   set: the first success does, once nothing else runs); Indexed: one success per index 0..completions-1,
 *   each pod carrying its index in an annotation and the JOB_COMPLETION_INDEX variable.
 * - failures: with restartPolicy Never a failed pod counts as a failure and is replaced, after a back-off
 *   (base × 2^(failures-1), capped) from the last failure; with OnFailure the node agent restarts the
 *   containers in place, so the failures are the containers' restartCount summed over active pods (plus
 *   pods that ended Failed). More than backoffLimit failures fail the Job (BackoffLimitExceeded).
 * - activeDeadlineSeconds from startTime fails the Job (DeadlineExceeded); a finished Job's active pods
 *   are deleted; suspend deletes active pods and the deadline restarts at resume.
 * - ttlSecondsAfterFinished: the Job itself is deleted that long after it finished.
 *
 * Counts are those of the pods present (finished pods are kept until the Job goes), never lower than the
 * counts already in the status, so a user deleting a finished pod does not make a Job run it again.
 */
import type { Job, JobStatus } from '../../resources/batch-schemas.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { isPodActive, isPodReady } from '../replicaset/pod-state.ts';
import { kubeTime } from '../../resources/kube-time.ts';

/** The annotation (and label) holding an Indexed Job pod's completion index. */
export const completionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';

export interface JobTiming {
  /** First back-off after a failed pod (Kubernetes: 10 s), doubled per failure. */
  backoffBaseMs: number;
  /** Back-off cap (Kubernetes: 6 minutes). */
  backoffMaxMs: number;
}

export const defaultJobTiming: JobTiming = { backoffBaseMs: 10_000, backoffMaxMs: 6 * 60_000 };

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobDecision {
  status: JobStatus;
  /** Pods to create: one entry each, the completion index for Indexed Jobs, otherwise undefined. */
  create: (number | undefined)[];
  /** Names of active pods to delete. */
  delete: string[];
  /** TTL after finished has passed: delete the Job (its pods go with it). */
  deleteJob: boolean;
  events: JobEvent[];
  requeueAfterMs?: number;
}

type Condition = NonNullable<JobStatus['conditions']>[number];

export function finishedCondition(job: Job): Condition | undefined {
  return job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

export function jobFinished(job: Job): boolean {
  return finishedCondition(job) !== undefined;
}

export function podIndex(pod: Pod): number | undefined {
  const text = pod.metadata.annotations?.[completionIndexAnnotation];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

export function decideJob(
  job: Job,
  pods: readonly Pod[],
  now: Date,
  timing: JobTiming = defaultJobTiming,
): JobDecision {
  const spec = job.spec;
  const previous = job.status ?? {};
  const indexed = spec.completionMode === 'Indexed';
  const active = pods.filter(isPodActive);
  const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded');
  const failedPods = pods.filter((p) => p.status?.phase === 'Failed');
  const completed = indexed ? completedIndexes(succeededPods, spec.completions ?? 0) : undefined;
  const succeeded = Math.max(previous.succeeded ?? 0, completed?.size ?? succeededPods.length);
  const failed = Math.max(previous.failed ?? 0, failedPods.length);
  const restarts = spec.template.spec.restartPolicy === 'OnFailure' ? sumRestarts(active) : 0;
  const nowIso = kubeTime(now);
  const events: JobEvent[] = [];
  const decision: JobDecision = { status: {}, create: [], delete: [], deleteJob: false, events };

  const status: JobStatus = { ...previous, succeeded, failed };
  let conditions = previous.conditions ?? [];
  let finished = finishedCondition(job);

  if (!finished && spec.suspend) {
    conditions = setCondition(
      conditions,
      { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' },
      nowIso,
    );
    if (conditionChanged(previous.conditions, conditions, 'Suspended'))
      events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    delete status.startTime;
    decision.delete = active.map(name);
  } else if (!finished) {
    if (conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
      conditions = setCondition(
        conditions,
        { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' },
        nowIso,
      );
      events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
    }
    status.startTime ??= nowIso;
    const backoffLimit = spec.backoffLimit ?? 6;
    const deadlineAt =
      spec.activeDeadlineSeconds === undefined
        ? undefined
        : Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000;
    const target = indexed ? (spec.completions ?? 0) : spec.completions;
    const done = target === undefined ? succeeded > 0 && active.length === 0 : succeeded >= target;
    if (done) {
      finished = { type: 'Complete', status: 'True', reason: 'Completed', message: 'Job completed' };
      status.completionTime = nowIso;
      events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
    } else if (failed + restarts > backoffLimit) {
      finished = {
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      };
    } else if (deadlineAt !== undefined && now.getTime() >= deadlineAt) {
      finished = {
        type: 'Failed',
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
      };
    }
    if (finished) {
      conditions = setCondition(conditions, finished, nowIso);
      if (finished.type === 'Failed')
        events.push({ type: 'Warning', reason: finished.reason!, message: finished.message! });
      decision.delete = active.map(name);
    } else {
      const wanted = indexed
        ? planIndexed(active, completed!, spec.completions ?? 0, spec.parallelism ?? 1)
        : planNonIndexed(active, succeeded, spec.completions, spec.parallelism ?? 1);
      decision.delete = wanted.delete;
      const retryAt = lastFailureAt(failedPods) + backoffDelay(failed, timing);
      const mayCreate =
        failed === 0 || spec.template.spec.restartPolicy === 'OnFailure' || now.getTime() >= retryAt;
      if (mayCreate) decision.create = wanted.create;
      const waits = [
        deadlineAt === undefined ? undefined : deadlineAt - now.getTime(),
        !mayCreate && wanted.create.length > 0 ? retryAt - now.getTime() : undefined,
      ].filter((ms): ms is number => ms !== undefined);
      if (waits.length > 0) decision.requeueAfterMs = Math.max(1, Math.min(...waits));
    }
  } else {
    // Finished: nothing runs any more (a pod that slipped through is stopped).
    decision.delete = active.map(name);
  }

  const deleting = new Set(decision.delete);
  const remaining = active.filter((p) => !deleting.has(name(p)));
  status.active = remaining.length + decision.create.length;
  status.ready = remaining.filter(isPodReady).length;
  if (completed) status.completedIndexes = formatIndexes(completed);
  status.conditions = conditions.length > 0 ? conditions : undefined;
  decision.status = withoutUndefined(status);

  if (finished?.status === 'True' && spec.ttlSecondsAfterFinished !== undefined) {
    const finishedAt = Date.parse(status.completionTime ?? finished.lastTransitionTime ?? nowIso);
    const wait = finishedAt + spec.ttlSecondsAfterFinished * 1000 - now.getTime();
    if (wait <= 0) decision.deleteJob = true;
    else decision.requeueAfterMs = Math.min(decision.requeueAfterMs ?? wait, wait);
  }
  return decision;
}

/** Kubernetes' pod-failure back-off: base doubled per failure after the first, capped. */
export function backoffDelay(failures: number, timing: JobTiming): number {
  if (failures <= 0) return 0;
  return Math.min(timing.backoffMaxMs, timing.backoffBaseMs * 2 ** (failures - 1));
}

function planNonIndexed(
  active: readonly Pod[],
  succeeded: number,
  completions: number | undefined,
  parallelism: number,
) {
  // Work-queue Jobs (no completions): once one pod succeeded, no new ones start.
  const wanted =
    completions === undefined
      ? succeeded > 0
        ? active.length
        : parallelism
      : Math.min(parallelism, completions - succeeded);
  const want = Math.max(0, Math.min(parallelism, wanted));
  if (active.length > want) return { create: [], delete: excess(active, active.length - want) };
  return { create: new Array<undefined>(want - active.length).fill(undefined), delete: [] };
}

function planIndexed(
  active: readonly Pod[],
  completed: ReadonlySet<number>,
  completions: number,
  parallelism: number,
) {
  const running = new Set<number>();
  const toDelete: string[] = [];
  for (const pod of active) {
    const index = podIndex(pod);
    // A pod without a valid index, a duplicate, or one whose index already succeeded does no useful work.
    if (index === undefined || index >= completions || completed.has(index) || running.has(index))
      toDelete.push(name(pod));
    else running.add(index);
  }
  const keep = active.filter((p) => !toDelete.includes(name(p)));
  if (keep.length > parallelism)
    return { create: [], delete: [...toDelete, ...excess(keep, keep.length - parallelism)] };
  const create: number[] = [];
  for (let index = 0; index < completions && keep.length + create.length < parallelism; index++) {
    if (!completed.has(index) && !running.has(index)) create.push(index);
  }
  return { create, delete: toDelete };
}

/** Which pods go when there are too many: not yet running first, then the newest (Kubernetes' ranking, simplified). */
function excess(active: readonly Pod[], count: number): string[] {
  const rank = (p: Pod) => (p.spec.nodeName ? 1 : 0) + (p.status?.phase === 'Running' ? 1 : 0);
  return [...active]
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
    )
    .slice(0, count)
    .map(name);
}

function completedIndexes(succeeded: readonly Pod[], completions: number): Set<number> {
  const indexes = new Set<number>();
  for (const pod of succeeded) {
    const index = podIndex(pod);
    if (index !== undefined && index < completions) indexes.add(index);
  }
  return indexes;
}

/** Kubernetes' compressed form of a set of indexes: `0-2,5`. */
export function formatIndexes(indexes: ReadonlySet<number>): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(',');
}

function sumRestarts(pods: readonly Pod[]): number {
  let sum = 0;
  for (const pod of pods) {
    for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])])
      sum += c.restartCount;
  }
  return sum;
}

/** When the latest failed pod ended: its containers' finish, else when it was created (ms; 0 if none). */
function lastFailureAt(failed: readonly Pod[]): number {
  let latest = 0;
  for (const pod of failed) {
    const finishes = (pod.status?.containerStatuses ?? [])
      .map((c) => c.state?.terminated?.finishedAt)
      .filter((t): t is string => t !== undefined)
      .map(Date.parse);
    const at =
      finishes.length > 0 ? Math.max(...finishes) : Date.parse(pod.metadata.creationTimestamp ?? '') || 0;
    latest = Math.max(latest, at);
  }
  return latest;
}

function setCondition(
  conditions: readonly Condition[],
  wanted: Omit<Condition, 'lastTransitionTime'>,
  at: string,
): Condition[] {
  const existing = conditions.find((c) => c.type === wanted.type);
  if (existing && existing.status === wanted.status && existing.reason === wanted.reason)
    return [...conditions];
  const next = {
    ...wanted,
    lastTransitionTime: existing?.status === wanted.status ? existing.lastTransitionTime : at,
  };
  return [...conditions.filter((c) => c.type !== wanted.type), { ...next, lastProbeTime: at }];
}

function conditionChanged(
  before: readonly Condition[] | undefined,
  after: readonly Condition[],
  type: string,
): boolean {
  const find = (list: readonly Condition[] | undefined) => list?.find((c) => c.type === type);
  return find(before)?.status !== find(after)?.status;
}

function name(pod: Pod): string {
  return pod.metadata.name ?? '';
}


function withoutUndefined(status: JobStatus): JobStatus {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as JobStatus;
}
