/** Validation of the workload kinds: Pod, Deployment, ReplicaSet, Job, CronJob (create and update). */
import { isDeepStrictEqual } from 'node:util';
import type { Deployment, ReplicaSet } from './apps-schemas.ts';
import type { CronJob, Job, JobSpec } from './batch-schemas.ts';
import { scheduleProblem, timeZoneProblem } from './cron.ts';
import { jobControllerUidLabel } from './defaults.ts';
import { type FieldError, FieldPath, forbidden, immutable, invalidValue, required } from './field-errors.ts';
import { isPercent } from './int-or-percent.ts';
import { isEmptyLabelSelector, labelSelectorMatches, validateLabelSelector } from './label-selector.ts';
import type { IntOrString, LabelSelector } from './meta-schemas.ts';
import type { Pod, PodTemplateSpec } from './pod-schemas.ts';
import { nonNegative, positive, supportedValue } from './value-checks.ts';
import { subdomainNamed, validateLabels, validateObjectMeta } from './validate-meta.ts';
import {
  podRestartPolicies,
  type PodSpecRules,
  validatePodSpec,
  validatePodSpecUpdate,
} from './validate-pod.ts';

const spec = new FieldPath('spec');
const namespacedSubdomain = subdomainNamed(true);

/** Kubernetes caps CronJob names so the Jobs it creates (name + `-` + a timestamp) still fit a label. */
const cronJobNameMaxLength = 52;

/**
 * A template's labels, then its pod spec; `selector` (when the kind has one) must select the template.
 * A malformed selector is reported at its own path by the caller and not matched here.
 */
function validateTemplate(
  template: PodTemplateSpec,
  path: FieldPath,
  selector: LabelSelector | undefined,
  rules: PodSpecRules,
): FieldError[] {
  const labelsPath = path.child('metadata').child('labels');
  const errors = validateLabels(template.metadata?.labels, labelsPath);
  if (
    selector !== undefined &&
    !isEmptyLabelSelector(selector) &&
    validateLabelSelector(selector, path).length === 0 &&
    !labelSelectorMatches(selector, template.metadata?.labels)
  ) {
    errors.push(
      invalidValue(
        labelsPath,
        template.metadata?.labels ?? {},
        '`selector` does not match template `labels`',
      ),
    );
  }
  errors.push(...validatePodSpec(template.spec, path.child('spec'), rules));
  return errors;
}

function validateRequiredSelector(selector: LabelSelector, path: FieldPath, kind: string): FieldError[] {
  if (isEmptyLabelSelector(selector))
    return [invalidValue(path, selector, `empty selector is invalid for ${kind}`)];
  return validateLabelSelector(selector, path);
}

function validateIntOrPercent(path: FieldPath, value: IntOrString | undefined): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'number') return nonNegative(path, value);
  if (!isPercent(value)) {
    return [
      invalidValue(
        path,
        value,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    ];
  }
  return [];
}

const isZero = (value: IntOrString | undefined) => value === 0 || value === '0%';

function validateStrategy(deployment: Deployment): FieldError[] {
  const strategy = deployment.spec.strategy;
  if (!strategy) return [];
  const path = spec.child('strategy');
  const errors = supportedValue(path.child('type'), strategy.type, ['RollingUpdate', 'Recreate']);
  const rollingUpdate = strategy.rollingUpdate;
  if (!rollingUpdate) return errors;
  if (strategy.type === 'Recreate') {
    errors.push(
      forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"),
    );
    return errors;
  }
  const at = path.child('rollingUpdate');
  errors.push(...validateIntOrPercent(at.child('maxSurge'), rollingUpdate.maxSurge));
  errors.push(...validateIntOrPercent(at.child('maxUnavailable'), rollingUpdate.maxUnavailable));
  const { maxUnavailable, maxSurge } = rollingUpdate;
  if (
    maxUnavailable !== undefined &&
    isPercent(maxUnavailable) &&
    Number.parseInt(maxUnavailable, 10) > 100
  ) {
    errors.push(invalidValue(at.child('maxUnavailable'), maxUnavailable, 'must not be greater than 100%'));
  }
  if (isZero(maxUnavailable) && isZero(maxSurge)) {
    errors.push(
      invalidValue(at.child('maxUnavailable'), maxUnavailable, 'may not be 0 when `maxSurge` is 0'),
    );
  }
  return errors;
}

const alwaysRestart: PodSpecRules = { restartPolicies: ['Always'] };
const jobRestart: PodSpecRules = { restartPolicies: ['OnFailure', 'Never'] };

export function validatePod(pod: Pod, old?: Pod): FieldError[] {
  const errors = validateObjectMeta(pod.metadata, namespacedSubdomain);
  errors.push(...validatePodSpec(pod.spec, spec, { restartPolicies: podRestartPolicies }));
  if (old) errors.push(...validatePodSpecUpdate(pod.spec, old.spec));
  return errors;
}

function validateSelectorUnchanged(
  selector: LabelSelector | undefined,
  old: LabelSelector | undefined,
): FieldError[] {
  return isDeepStrictEqual(selector, old) ? [] : [immutable(spec.child('selector'), selector)];
}

export function validateDeployment(deployment: Deployment, old?: Deployment): FieldError[] {
  const s = deployment.spec;
  const errors = validateObjectMeta(deployment.metadata, namespacedSubdomain);
  errors.push(...nonNegative(spec.child('replicas'), s.replicas));
  errors.push(...validateRequiredSelector(s.selector, spec.child('selector'), 'deployment'));
  errors.push(...validateTemplate(s.template, spec.child('template'), s.selector, alwaysRestart));
  errors.push(...validateStrategy(deployment));
  errors.push(...nonNegative(spec.child('minReadySeconds'), s.minReadySeconds));
  errors.push(...nonNegative(spec.child('revisionHistoryLimit'), s.revisionHistoryLimit));
  if (s.progressDeadlineSeconds !== undefined) {
    errors.push(...nonNegative(spec.child('progressDeadlineSeconds'), s.progressDeadlineSeconds));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      errors.push(
        invalidValue(
          spec.child('progressDeadlineSeconds'),
          s.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  if (old) errors.push(...validateSelectorUnchanged(s.selector, old.spec.selector));
  return errors;
}

export function validateReplicaSet(replicaSet: ReplicaSet, old?: ReplicaSet): FieldError[] {
  const s = replicaSet.spec;
  const errors = validateObjectMeta(replicaSet.metadata, namespacedSubdomain);
  errors.push(...nonNegative(spec.child('replicas'), s.replicas));
  errors.push(...validateRequiredSelector(s.selector, spec.child('selector'), 'replicaset'));
  errors.push(...validateTemplate(s.template, spec.child('template'), s.selector, alwaysRestart));
  errors.push(...nonNegative(spec.child('minReadySeconds'), s.minReadySeconds));
  if (old) errors.push(...validateSelectorUnchanged(s.selector, old.spec.selector));
  return errors;
}

/** A Job's spec, also a CronJob's jobTemplate (whose selector is generated per Job, so never given). */
function validateJobSpec(s: JobSpec, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  errors.push(...nonNegative(path.child('parallelism'), s.parallelism));
  errors.push(...nonNegative(path.child('completions'), s.completions));
  errors.push(...nonNegative(path.child('backoffLimit'), s.backoffLimit));
  errors.push(...positive(path.child('activeDeadlineSeconds'), s.activeDeadlineSeconds));
  errors.push(...nonNegative(path.child('ttlSecondsAfterFinished'), s.ttlSecondsAfterFinished));
  errors.push(...supportedValue(path.child('completionMode'), s.completionMode, ['NonIndexed', 'Indexed']));
  if (s.completionMode === 'Indexed' && s.completions === undefined) {
    errors.push(required(path.child('completions'), 'when completion mode is Indexed'));
  }
  if (s.manualSelector === true && s.selector === undefined) errors.push(required(path.child('selector')));
  if (s.selector !== undefined) errors.push(...validateLabelSelector(s.selector, path.child('selector')));
  errors.push(...validateTemplate(s.template, path.child('template'), s.selector, jobRestart));
  return errors;
}

const jobImmutableFields = ['selector', 'template', 'completions', 'completionMode'] as const;

export function validateJob(job: Job, old?: Job): FieldError[] {
  const errors = validateObjectMeta(job.metadata, namespacedSubdomain);
  errors.push(...validateJobSpec(job.spec, spec));
  const { selector, manualSelector } = job.spec;
  const uid = job.metadata.uid;
  // Without manualSelector the selector is Marina's (made from the uid); a hand-written one is a mistake.
  if (
    manualSelector !== true &&
    selector !== undefined &&
    uid !== undefined &&
    selector.matchLabels?.[jobControllerUidLabel] !== uid
  ) {
    errors.push(
      invalidValue(
        spec.child('selector'),
        selector,
        '`selector` not auto-generated (set `manualSelector: true` to use your own)',
      ),
    );
  }
  if (old) {
    for (const field of jobImmutableFields) {
      if (!isDeepStrictEqual(job.spec[field], old.spec[field]))
        errors.push(immutable(spec.child(field), job.spec[field]));
    }
  }
  return errors;
}

export function validateCronJob(cronJob: CronJob): FieldError[] {
  const s = cronJob.spec;
  const errors = validateObjectMeta(cronJob.metadata, namespacedSubdomain);
  const name = cronJob.metadata.name;
  if (name !== undefined && name.length > cronJobNameMaxLength) {
    errors.push(
      invalidValue(
        new FieldPath('metadata').child('name'),
        name,
        `must be no more than ${cronJobNameMaxLength} characters`,
      ),
    );
  }
  if (s.schedule.trim() === '') errors.push(required(spec.child('schedule')));
  else {
    const problem = scheduleProblem(s.schedule);
    if (problem !== undefined) errors.push(invalidValue(spec.child('schedule'), s.schedule, problem));
  }
  if (s.timeZone !== undefined) {
    const problem = timeZoneProblem(s.timeZone);
    if (problem !== undefined) errors.push(invalidValue(spec.child('timeZone'), s.timeZone, problem));
  }
  errors.push(
    ...supportedValue(spec.child('concurrencyPolicy'), s.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']),
  );
  errors.push(...nonNegative(spec.child('startingDeadlineSeconds'), s.startingDeadlineSeconds));
  errors.push(...nonNegative(spec.child('successfulJobsHistoryLimit'), s.successfulJobsHistoryLimit));
  errors.push(...nonNegative(spec.child('failedJobsHistoryLimit'), s.failedJobsHistoryLimit));
  const jobTemplate = spec.child('jobTemplate');
  errors.push(
    ...validateLabels(s.jobTemplate.metadata?.labels, jobTemplate.child('metadata').child('labels')),
  );
  errors.push(...validateJobSpec(s.jobTemplate.spec, jobTemplate.child('spec')));
  return errors;
}
