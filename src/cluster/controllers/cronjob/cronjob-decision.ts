/**
 * The CronJob controller's decision, pure (Kubernetes' cronjob_controllerv2, kept to what Marina
 * supports): given a CronJob, the Jobs it owns and the time —
 * - which scheduled run is due: the latest one missed since lastScheduleTime (or creation), no earlier than
 *   startingDeadlineSeconds ago; more than 100 missed is reported (TooManyMissedTimes) and the latest runs;
 * - the Job for it is named `<cronjob>-<scheduled time in minutes since the epoch>`, so a retry or a
 *   second controller can never create it twice;
 * - concurrencyPolicy: Allow runs it; Forbid skips it while a Job is active (it runs once they finish, if
 *   still within the deadline); Replace deletes the active Jobs first;
 * - finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted, oldest first;
 * - status.active lists the unfinished Jobs, lastScheduleTime the run started, lastSuccessfulTime the
 *   latest completion;
 * - look again at the next scheduled time.
 */
import type { CronJob, Job } from '../../resources/batch-schemas.ts';
import { missedRuns, nextAfter } from '../../resources/cron.ts';
import type { ObjectReference } from '../../resources/meta-schemas.ts';
import { finishedCondition } from '../job/job-decision.ts';
import { kubeTime } from '../../resources/kube-time.ts';

/** Kubernetes' annotation on a Job: when its CronJob scheduled it. */
export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const tooManyMissed = 100;

export type CronJobStatus = NonNullable<CronJob['status']>;

export interface CronJobDecision {
  status: CronJobStatus;
  /** The Job to create for the run due now. */
  create?: { name: string; scheduledTime: Date };
  /** Jobs to delete (Replace, history limits), background propagation. */
  delete: string[];
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  requeueAfterMs?: number;
}

/** Kubernetes' deterministic Job name for a run. */
export function jobNameFor(cronJobName: string, scheduledTime: Date): string {
  return `${cronJobName}-${Math.floor(scheduledTime.getTime() / 60_000)}`;
}

export function decideCronJob(cronJob: CronJob, jobs: readonly Job[], now: Date): CronJobDecision {
  const spec = cronJob.spec;
  const previous = cronJob.status ?? {};
  const events: CronJobDecision['events'] = [];
  const decision: CronJobDecision = { status: {}, delete: [], events };
  const finished = jobs.filter((j) => finishedCondition(j) !== undefined);
  let active = jobs.filter((j) => finishedCondition(j) === undefined && !j.metadata.deletionTimestamp);

  for (const job of finished) {
    if (previous.active?.some((ref) => ref.uid === job.metadata.uid)) {
      events.push({
        type: 'Normal',
        reason: 'SawCompletedJob',
        message: `Saw completed job: ${job.metadata.name}, condition: ${finishedCondition(job)!.type}`,
      });
    }
  }
  let lastSuccessfulTime = previous.lastSuccessfulTime;
  for (const job of finished) {
    const completed = job.status?.completionTime;
    if (
      finishedCondition(job)?.type === 'Complete' &&
      completed &&
      (!lastSuccessfulTime || Date.parse(completed) > Date.parse(lastSuccessfulTime))
    ) {
      lastSuccessfulTime = completed;
    }
  }
  decision.delete.push(
    ...oldestBeyond(
      finished.filter((j) => finishedCondition(j)!.type === 'Complete'),
      spec.successfulJobsHistoryLimit ?? 3,
    ),
    ...oldestBeyond(
      finished.filter((j) => finishedCondition(j)!.type === 'Failed'),
      spec.failedJobsHistoryLimit ?? 1,
    ),
  );

  let lastScheduleTime = previous.lastScheduleTime;
  const timeZone = spec.timeZone ?? 'UTC';
  if (!spec.suspend) {
    let since = new Date(lastScheduleTime ?? cronJob.metadata.creationTimestamp ?? now.toISOString());
    const deadlineMs =
      spec.startingDeadlineSeconds === undefined ? undefined : spec.startingDeadlineSeconds * 1000;
    if (deadlineMs !== undefined && now.getTime() - deadlineMs > since.getTime())
      since = new Date(now.getTime() - deadlineMs);
    const missed = missedRuns(spec.schedule, since, now, timeZone, tooManyMissed + 1);
    if (missed.count > tooManyMissed) {
      events.push({
        type: 'Warning',
        reason: 'TooManyMissedTimes',
        message: `too many missed start times: ${missed.count}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
      });
    }
    const due = missed.latest;
    const name = due && jobNameFor(cronJob.metadata.name ?? '', due);
    if (due && name && !jobs.some((j) => j.metadata.name === name)) {
      if (deadlineMs !== undefined && due.getTime() + deadlineMs < now.getTime()) {
        events.push({
          type: 'Warning',
          reason: 'MissSchedule',
          message: `Missed scheduled time to start a job: ${kubeTime(due)}`,
        });
      } else if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
        events.push({
          type: 'Normal',
          reason: 'JobAlreadyActive',
          message: 'Not starting job because prior execution is running and concurrency policy is Forbid',
        });
      } else {
        if (spec.concurrencyPolicy === 'Replace') {
          decision.delete.push(...active.map((j) => j.metadata.name ?? ''));
          active = [];
        }
        decision.create = { name, scheduledTime: due };
        lastScheduleTime = kubeTime(due);
      }
    }
    decision.requeueAfterMs = Math.max(1, nextAfter(spec.schedule, now, timeZone).getTime() - now.getTime());
  }

  const refs: ObjectReference[] = active.map((j) => referenceTo(j));
  decision.status = withoutUndefined({
    active: refs.length > 0 ? refs : undefined,
    lastScheduleTime,
    lastSuccessfulTime,
  });
  return decision;
}

export function referenceTo(job: Pick<Job, 'apiVersion' | 'kind' | 'metadata'>): ObjectReference {
  // No resourceVersion: it changes with every status write of the Job, and the reference should not.
  const { name, namespace, uid } = job.metadata;
  return withoutUndefined({ apiVersion: job.apiVersion, kind: job.kind, name, namespace, uid });
}

/** The names of the oldest Jobs beyond `limit`, by when they started (else were created). */
function oldestBeyond(jobs: readonly Job[], limit: number): string[] {
  const started = (j: Job) => j.status?.startTime ?? j.metadata.creationTimestamp ?? '';
  const sorted = [...jobs].sort((a, b) => started(a).localeCompare(started(b)));
  return sorted.slice(0, Math.max(0, sorted.length - limit)).map((j) => j.metadata.name ?? '');
}


function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
