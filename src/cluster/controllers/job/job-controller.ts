/**
 * The Job controller: reads a Job and its pods from the informers, asks `decideJob` what should be, and
 * makes it so through the API — pods created from the template (owned by the Job, labelled with its name
 * and uid), pods deleted, the status written, Events recorded, the Job deleted when its TTL after
 * finishing is over. Triggered by the Job and by any change to a pod it controls.
 */
import type { Logger } from 'pino';
import { isMarinaError } from '../../../errors.ts';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { ResourceClient } from '../../apiserver/resource-client.ts';
import type { Job } from '../../resources/batch-schemas.ts';
import { jobControllerUidLabel, jobNameLabel } from '../../resources/defaults.ts';
import { controllerOf, newControllerRef } from '../../resources/owner-references.ts';
import type { Pod, PodSpec } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import type { EventSink } from '../event-recorder.ts';
import { byControllerUid, type ControllerInformers } from '../informers.ts';
import type { Controller, ReconcileResult } from '../runtime/controller.ts';
import { keyOf, splitKey } from '../runtime/informer.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import {
  completionIndexAnnotation,
  decideJob,
  defaultJobTiming,
  type JobTiming,
} from './job-decision.ts';
import { OwnWrites } from '../runtime/own-writes.ts';
import { statusChanged } from '../runtime/status-changed.ts';

const jobs = kindByName('jobs');
const pods = kindByName('pods');

export interface JobControllerOptions {
  client: ResourceClient;
  informers: Pick<ControllerInformers, 'jobs' | 'pods'>;
  events: EventSink;
  logger: Pick<Logger, 'warn' | 'debug'>;
  now?: () => Date;
  timing?: JobTiming;
}

export class JobController implements Controller {
  readonly name = 'job-controller';
  readonly queue = new WorkQueue();
  private readonly options: JobControllerOptions;
  private readonly now: () => Date;
  private readonly writes = new OwnWrites();

  constructor(options: JobControllerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    const enqueueJob = (job: KubeObject) => this.queue.add(keyOf(job));
    options.informers.jobs.on({ added: enqueueJob, updated: (_, job) => enqueueJob(job) });
    const enqueueOwner = (pod: KubeObject) => {
      const ref = controllerOf(pod);
      if (ref?.kind === 'Job' && pod.metadata.namespace)
        this.queue.add(`${pod.metadata.namespace}/${ref.name}`);
    };
    options.informers.pods.on({
      added: enqueueOwner,
      updated: (_, pod) => enqueueOwner(pod),
      deleted: enqueueOwner,
    });
  }

  async synced(): Promise<void> {
    await Promise.all([this.options.informers.jobs.synced(), this.options.informers.pods.synced()]);
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { client, informers, events } = this.options;
    const job = informers.jobs.getByKey(key) as Job | undefined;
    if (!job?.metadata.uid) {
      this.writes.forget(key);
      return undefined;
    }
    // Being deleted: the garbage collector takes the pods with it.
    if (job.metadata.deletionTimestamp) return undefined;
    const { namespace } = splitKey(key);
    const owned = this.writes.view(key, informers.pods.byIndex(byControllerUid, job.metadata.uid)) as Pod[];
    const decision = decideJob(job, owned, this.now(), this.options.timing ?? defaultJobTiming);

    if (decision.deleteJob) {
      await client.delete(jobs, namespace, job.metadata.name!, {
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata.uid },
      });
      return undefined;
    }
    for (const podName of decision.delete) {
      try {
        const removed = await client.delete(pods, namespace, podName);
        this.writes.deleted(key, removed, removed.metadata.deletionTimestamp !== undefined);
        await events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`);
      } catch (err) {
        if (!isMarinaError(err, 'NotFound')) throw err;
      }
    }
    for (const index of decision.create) {
      try {
        const { object } = await client.create(pods, namespace, podFor(job, index));
        this.writes.created(key, object);
        await events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${object.metadata.name}`);
      } catch (err) {
        await events.record(job, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
        throw err;
      }
    }
    if (statusChanged(job.status, decision.status)) {
      await client.updateStatus(jobs, namespace, job.metadata.name!, { ...job, status: decision.status });
    }
    for (const event of decision.events) await events.record(job, event.type, event.reason, event.message);
    return decision.requeueAfterMs === undefined ? undefined : { requeueAfterMs: decision.requeueAfterMs };
  }
}

/** A pod from the Job's template: named after the Job, labelled with it, owned by it; Indexed: with its index. */
export function podFor(job: Job, index: number | undefined): Pod {
  const template = job.spec.template;
  const name = job.metadata.name!;
  const indexLabels: Record<string, string> =
    index === undefined ? {} : { [completionIndexAnnotation]: String(index) };
  const spec: PodSpec = structuredClone(template.spec);
  if (index !== undefined) {
    for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
      container.env = [
        ...(container.env ?? []).filter((e) => e.name !== 'JOB_COMPLETION_INDEX'),
        { name: 'JOB_COMPLETION_INDEX', value: String(index) },
      ];
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      labels: {
        ...template.metadata?.labels,
        [jobNameLabel]: name,
        [jobControllerUidLabel]: job.metadata.uid!,
        ...indexLabels,
      },
      annotations: { ...template.metadata?.annotations, ...indexLabels },
      ownerReferences: [newControllerRef(job)],
    },
    spec,
  };
}
