/**
 * Kubernetes' defaults per kind. Each defaulter is pure: it returns a new object and leaves its argument
 * alone. They run in admission after the API server has set the metadata it owns (uid, namespace from the
 * URL), which a Job's generated selector needs.
 */
import { Buffer } from 'node:buffer';
import type { Deployment, ReplicaSet } from './apps-schemas.ts';
import type { CronJob, Job, JobSpec } from './batch-schemas.ts';
import type { Namespace, Secret } from './core-schemas.ts';
import type { ObjectMeta } from './meta-schemas.ts';
import { defaultPodSpec } from './pod-defaults.ts';
import type { Pod } from './pod-schemas.ts';

export const defaultNamespace = 'default';

/** The labels Kubernetes' Job controller selects its pods by, made from the Job's uid. */
export const jobControllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const jobNameLabel = 'batch.kubernetes.io/job-name';

function withDefaults<T>(object: T, apply: (copy: T) => void): T {
  const copy = structuredClone(object);
  apply(copy);
  return copy;
}

export function defaultObjectNamespace(metadata: ObjectMeta): void {
  metadata.namespace ??= defaultNamespace;
}

export const defaultPod = (pod: Pod): Pod =>
  withDefaults(pod, (p) => {
    defaultObjectNamespace(p.metadata);
    defaultPodSpec(p.spec, 'Always');
  });

export const defaultDeployment = (deployment: Deployment): Deployment =>
  withDefaults(deployment, (d) => {
    defaultObjectNamespace(d.metadata);
    d.spec.replicas ??= 1;
    d.spec.strategy ??= {};
    d.spec.strategy.type ??= 'RollingUpdate';
    if (d.spec.strategy.type === 'RollingUpdate') {
      d.spec.strategy.rollingUpdate ??= {};
      d.spec.strategy.rollingUpdate.maxSurge ??= '25%';
      d.spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    }
    d.spec.revisionHistoryLimit ??= 10;
    d.spec.progressDeadlineSeconds ??= 600;
    defaultPodSpec(d.spec.template.spec, 'Always');
  });

export const defaultReplicaSet = (replicaSet: ReplicaSet): ReplicaSet =>
  withDefaults(replicaSet, (r) => {
    defaultObjectNamespace(r.metadata);
    r.spec.replicas ??= 1;
    defaultPodSpec(r.spec.template.spec, 'Always');
  });

function defaultJobSpec(spec: JobSpec): void {
  // Kubernetes: with neither set, one pod to completion; with only completions set, one at a time.
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  defaultPodSpec(spec.template.spec, undefined);
}

/**
 * Unless the user manages the selector (`manualSelector: true`), a Job selects its pods by its own uid,
 * which no other Job can share; Kubernetes adds these labels at creation, and so does this once the uid
 * is known.
 */
function generateJobSelector(job: Job): void {
  const uid = job.metadata.uid;
  if (job.spec.manualSelector === true || job.spec.selector !== undefined || uid === undefined) return;
  job.spec.selector = { matchLabels: { [jobControllerUidLabel]: uid } };
  const template = job.spec.template;
  template.metadata ??= {};
  template.metadata.labels = {
    ...template.metadata.labels,
    [jobControllerUidLabel]: uid,
    ...(job.metadata.name === undefined ? {} : { [jobNameLabel]: job.metadata.name }),
    'controller-uid': uid,
    ...(job.metadata.name === undefined ? {} : { 'job-name': job.metadata.name }),
  };
}

export const defaultJob = (job: Job): Job =>
  withDefaults(job, (j) => {
    defaultObjectNamespace(j.metadata);
    defaultJobSpec(j.spec);
    generateJobSelector(j);
  });

export const defaultCronJob = (cronJob: CronJob): CronJob =>
  withDefaults(cronJob, (c) => {
    defaultObjectNamespace(c.metadata);
    c.spec.concurrencyPolicy ??= 'Allow';
    c.spec.suspend ??= false;
    c.spec.successfulJobsHistoryLimit ??= 3;
    c.spec.failedJobsHistoryLimit ??= 1;
    // Job-level defaults (backoffLimit…) are the Job's own, applied when the CronJob controller creates it.
    defaultPodSpec(c.spec.jobTemplate.spec.template.spec, undefined);
  });

/** `stringData` is a write-only convenience: folded into `data` (base64), where it wins over a same key. */
export const defaultSecret = (secret: Secret): Secret =>
  withDefaults(secret, (s) => {
    defaultObjectNamespace(s.metadata);
    s.type ??= 'Opaque';
    if (s.stringData !== undefined) {
      const folded = Object.fromEntries(
        Object.entries(s.stringData).map(([key, value]) => [
          key,
          Buffer.from(value, 'utf8').toString('base64'),
        ]),
      );
      s.data = { ...s.data, ...folded };
      delete s.stringData;
    }
  });

export const defaultNamespaceObject = (namespace: Namespace): Namespace =>
  withDefaults(namespace, (n) => {
    n.status ??= {};
    n.status.phase ??= 'Active';
  });

/** For kinds whose only default is the namespace (ConfigMap, Event, Lease). */
export const defaultNamespaced = <T extends { metadata: ObjectMeta }>(object: T): T =>
  withDefaults(object, (o) => defaultObjectNamespace(o.metadata));

/** For cluster-scoped kinds with no defaults (Node). */
export const noDefaults = <T>(object: T): T => structuredClone(object);
