/** batch/v1: Job and CronJob. */
import { z } from 'zod';
import { condition, labelSelector, objectMeta, objectReference, time } from './meta-schemas.ts';
import { podTemplateSpec } from './pod-schemas.ts';

const jobSpec = z.object({
  parallelism: z.number().int().optional(),
  completions: z.number().int().optional(),
  backoffLimit: z.number().int().optional(),
  activeDeadlineSeconds: z.number().int().optional(),
  ttlSecondsAfterFinished: z.number().int().optional(),
  completionMode: z.string().optional(),
  suspend: z.boolean().optional(),
  selector: labelSelector.optional(),
  manualSelector: z.boolean().optional(),
  template: podTemplateSpec,
});

export const job = z.object({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('Job'),
  metadata: objectMeta,
  spec: jobSpec,
  status: z
    .object({
      active: z.number().int().optional(),
      succeeded: z.number().int().optional(),
      failed: z.number().int().optional(),
      ready: z.number().int().optional(),
      terminating: z.number().int().optional(),
      completedIndexes: z.string().optional(),
      startTime: time.optional(),
      completionTime: time.optional(),
      conditions: z.array(condition.extend({ lastProbeTime: time.optional() })).optional(),
    })
    .optional(),
});

export const cronJob = z.object({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('CronJob'),
  metadata: objectMeta,
  spec: z.object({
    schedule: z.string(),
    timeZone: z.string().optional(),
    concurrencyPolicy: z.string().optional(),
    suspend: z.boolean().optional(),
    startingDeadlineSeconds: z.number().int().optional(),
    successfulJobsHistoryLimit: z.number().int().optional(),
    failedJobsHistoryLimit: z.number().int().optional(),
    jobTemplate: z.object({ metadata: objectMeta.optional(), spec: jobSpec }),
  }),
  status: z
    .object({
      active: z.array(objectReference).optional(),
      lastScheduleTime: time.optional(),
      lastSuccessfulTime: time.optional(),
    })
    .optional(),
});

export type Job = z.infer<typeof job>;
export type JobSpec = z.infer<typeof jobSpec>;
export type JobStatus = NonNullable<Job['status']>;
export type CronJob = z.infer<typeof cronJob>;
export type CronJobSpec = CronJob['spec'];
