/**
 * The CronJob controller: reads a CronJob and the Jobs it owns from the informers, asks
 * `decideCronJob` what is due, and applies it — the Job created from the jobTemplate (owned by the
 * CronJob, annotated with its scheduled time), Jobs deleted, the status written, Events recorded — then
 * looks again at the next scheduled time. Time is injected, so tests run a schedule without waiting.
 */
import type { Logger } from 'pino';
import { isMarinaError } from '../../../errors.ts';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { ResourceClient } from '../../apiserver/resource-client.ts';
import type { CronJob, Job } from '../../resources/batch-schemas.ts';
import { controllerOf, newControllerRef } from '../../resources/owner-references.ts';
import { kindByName } from '../../resources/registry.ts';
import type { EventSink } from '../event-recorder.ts';
import { byControllerUid, type ControllerInformers } from '../informers.ts';
import type { Controller, ReconcileResult } from '../runtime/controller.ts';
import { keyOf, splitKey } from '../runtime/informer.ts';
import { statusChanged } from '../runtime/status-changed.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import {
  decideCronJob,
  referenceTo,
  scheduledTimestampAnnotation,
} from './cronjob-decision.ts';
import { kubeTime } from '../../resources/kube-time.ts';

const cronJobs = kindByName('cronjobs');
const jobs = kindByName('jobs');

export interface CronJobControllerOptions {
  client: ResourceClient;
  informers: Pick<ControllerInformers, 'jobs' | 'cronJobs'>;
  events: EventSink;
  logger: Pick<Logger, 'warn' | 'debug'>;
  now?: () => Date;
}

export class CronJobController implements Controller {
  readonly name = 'cronjob-controller';
  readonly queue = new WorkQueue();
  private readonly options: CronJobControllerOptions;
  private readonly now: () => Date;

  constructor(options: CronJobControllerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    const enqueue = (cronJob: KubeObject) => this.queue.add(keyOf(cronJob));
    options.informers.cronJobs.on({ added: enqueue, updated: (_, cronJob) => enqueue(cronJob) });
    const enqueueOwner = (job: KubeObject) => {
      const ref = controllerOf(job);
      if (ref?.kind === 'CronJob' && job.metadata.namespace)
        this.queue.add(`${job.metadata.namespace}/${ref.name}`);
    };
    options.informers.jobs.on({
      added: enqueueOwner,
      updated: (_, job) => enqueueOwner(job),
      deleted: enqueueOwner,
    });
  }

  async synced(): Promise<void> {
    await Promise.all([this.options.informers.cronJobs.synced(), this.options.informers.jobs.synced()]);
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { client, informers, events } = this.options;
    const cronJob = informers.cronJobs.getByKey(key) as CronJob | undefined;
    if (!cronJob?.metadata.uid || cronJob.metadata.deletionTimestamp) return undefined;
    const { namespace } = splitKey(key);
    const owned = informers.jobs.byIndex(byControllerUid, cronJob.metadata.uid) as Job[];
    const decision = decideCronJob(cronJob, owned, this.now());

    for (const name of decision.delete) {
      try {
        await client.delete(jobs, namespace, name, { propagationPolicy: 'Background' });
        await events.record(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
      } catch (err) {
        if (!isMarinaError(err, 'NotFound')) throw err;
      }
    }
    const status = { ...decision.status };
    if (decision.create) {
      const job = await this.createJob(cronJob, decision.create.name, decision.create.scheduledTime);
      if (job) status.active = [...(status.active ?? []), referenceTo(job as Job)];
    }
    if (statusChanged(cronJob.status, status)) {
      await client.updateStatus(cronJobs, namespace, cronJob.metadata.name!, { ...cronJob, status });
    }
    for (const event of decision.events)
      await events.record(cronJob, event.type, event.reason, event.message);
    return decision.requeueAfterMs === undefined ? undefined : { requeueAfterMs: decision.requeueAfterMs };
  }

  /** Creates the run's Job; undefined when it exists already (the name is per run, so that is a retry). */
  private async createJob(
    cronJob: CronJob,
    name: string,
    scheduledTime: Date,
  ): Promise<KubeObject | undefined> {
    const template = cronJob.spec.jobTemplate;
    const body = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        labels: { ...template.metadata?.labels },
        annotations: {
          ...template.metadata?.annotations,
          [scheduledTimestampAnnotation]: kubeTime(scheduledTime),
        },
        ownerReferences: [newControllerRef(cronJob)],
      },
      spec: structuredClone(template.spec),
    };
    try {
      const { object } = await this.options.client.create(jobs, cronJob.metadata.namespace, body);
      await this.options.events.record(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
      return object;
    } catch (err) {
      if (isMarinaError(err, 'Conflict')) return undefined;
      await this.options.events.record(
        cronJob,
        'Warning',
        'FailedCreate',
        `Error creating job: ${(err as Error).message}`,
      );
      throw err;
    }
  }
}
