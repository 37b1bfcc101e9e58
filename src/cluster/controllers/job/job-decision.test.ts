import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job, JobSpec } from '../../resources/batch-schemas.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { backoffDelay, completionIndexAnnotation, decideJob, formatIndexes } from './job-decision.ts';

const now = new Date('2026-01-01T00:10:00Z');
const timing = { backoffBaseMs: 10_000, backoffMaxMs: 360_000 };

function job(spec: Partial<JobSpec> = {}, status: Job['status'] = undefined): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'default', uid: 'job-uid' },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

let sequence = 0;
function pod(
  phase: string,
  extra: { index?: number; restarts?: number; finishedAt?: string; created?: string } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `p${sequence++}`,
      creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
      ...(extra.index === undefined
        ? {}
        : { annotations: { [completionIndexAnnotation]: String(extra.index) } }),
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: {
      phase,
      containerStatuses: [
        {
          name: 'c',
          image: 'busybox',
          ready: false,
          restartCount: extra.restarts ?? 0,
          ...(extra.finishedAt
            ? { state: { terminated: { exitCode: 1, finishedAt: extra.finishedAt } } }
            : {}),
        },
      ],
    },
  };
}

const condition = (d: ReturnType<typeof decideJob>, type: string) =>
  d.status.conditions?.find((c) => c.type === type);

test('a new Job starts parallelism pods, bounded by the completions left, and sets startTime', () => {
  const d = decideJob(
    job({ parallelism: 3, completions: 5 }),
    [pod('Succeeded'), pod('Succeeded'), pod('Succeeded')],
    now,
    timing,
  );
  assert.equal(d.create.length, 2);
  assert.equal(d.status.active, 2);
  assert.equal(d.status.succeeded, 3);
  assert.equal(d.status.startTime, '2026-01-01T00:10:00Z');
});

test('too many active pods (parallelism lowered): the surplus is deleted, unscheduled ones first', () => {
  const running = { ...pod('Running'), spec: { containers: [], nodeName: 'n1' } };
  const pending = pod('Pending');
  const d = decideJob(job({ parallelism: 1, completions: 5 }), [running, pending], now, timing);
  assert.deepEqual(d.delete, [pending.metadata.name]);
  assert.equal(d.create.length, 0);
  assert.equal(d.status.active, 1);
});

test('enough successes complete the Job: condition, completionTime, event, leftover pods stopped', () => {
  const leftover = pod('Running');
  const d = decideJob(
    job({ parallelism: 2, completions: 2 }),
    [pod('Succeeded'), pod('Succeeded'), leftover],
    now,
    timing,
  );
  assert.equal(condition(d, 'Complete')?.status, 'True');
  assert.equal(d.status.completionTime, '2026-01-01T00:10:00Z');
  assert.deepEqual(d.delete, [leftover.metadata.name]);
  assert.equal(d.status.active, 0);
  assert.deepEqual(
    d.events.map((e) => e.reason),
    ['Completed'],
  );
});

test('without completions, the first success ends the Job once nothing else runs', () => {
  const spec = { completions: undefined, parallelism: 2 };
  const stillRunning = decideJob(job(spec), [pod('Succeeded'), pod('Running')], now, timing);
  assert.equal(stillRunning.create.length, 0);
  assert.equal(condition(stillRunning, 'Complete'), undefined);
  assert.equal(
    condition(decideJob(job(spec), [pod('Succeeded'), pod('Failed')], now, timing), 'Complete')?.status,
    'True',
  );
});

test('restartPolicy Never: a failed pod is replaced after the back-off from its failure', () => {
  const failed = pod('Failed', { finishedAt: '2026-01-01T00:09:55Z' });
  const waiting = decideJob(job(), [failed], now, timing);
  assert.equal(waiting.create.length, 0);
  assert.equal(waiting.requeueAfterMs, 5_000);
  assert.equal(waiting.status.failed, 1);
  const later = decideJob(job(), [failed], new Date('2026-01-01T00:10:05Z'), timing);
  assert.equal(later.create.length, 1);
  assert.deepEqual(
    [1, 2, 3, 10].map((n) => backoffDelay(n, timing)),
    [10_000, 20_000, 40_000, 360_000],
  );
});

test('more failures than backoffLimit fail the Job and stop the active pods', () => {
  const active = pod('Running');
  const d = decideJob(
    job({ backoffLimit: 1, parallelism: 2, completions: 3 }),
    [pod('Failed'), pod('Failed'), active],
    now,
    timing,
  );
  assert.equal(condition(d, 'Failed')?.reason, 'BackoffLimitExceeded');
  assert.deepEqual(d.delete, [active.metadata.name]);
  assert.equal(d.events[0]?.type, 'Warning');
  assert.equal(
    condition(decideJob(job({ backoffLimit: 2 }), [pod('Failed'), pod('Failed')], now, timing), 'Failed'),
    undefined,
  );
});

test('restartPolicy OnFailure: container restarts count as failures; no back-off of the controller', () => {
  const onFailure = (backoffLimit: number) =>
    job({
      backoffLimit,
      template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } },
    });
  assert.equal(
    condition(decideJob(onFailure(3), [pod('Running', { restarts: 3 })], now, timing), 'Failed'),
    undefined,
  );
  assert.equal(
    condition(decideJob(onFailure(3), [pod('Running', { restarts: 4 })], now, timing), 'Failed')?.reason,
    'BackoffLimitExceeded',
  );
});

test('activeDeadlineSeconds from startTime: requeued until then, then Failed with DeadlineExceeded', () => {
  const running = pod('Running');
  const spec = { activeDeadlineSeconds: 60 };
  const before = decideJob(job(spec, { startTime: '2026-01-01T00:09:30Z' }), [running], now, timing);
  assert.equal(before.requeueAfterMs, 30_000);
  const after = decideJob(job(spec, { startTime: '2026-01-01T00:09:00Z' }), [running], now, timing);
  assert.equal(condition(after, 'Failed')?.reason, 'DeadlineExceeded');
  assert.deepEqual(after.delete, [running.metadata.name]);
});

test('a finished Job is deleted ttlSecondsAfterFinished after its completion', () => {
  const finished = {
    completionTime: '2026-01-01T00:09:00Z',
    succeeded: 1,
    conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:09:00Z' }],
  };
  const early = decideJob(job({ ttlSecondsAfterFinished: 120 }, finished), [pod('Succeeded')], now, timing);
  assert.equal(early.deleteJob, false);
  assert.equal(early.requeueAfterMs, 60_000);
  assert.equal(
    decideJob(job({ ttlSecondsAfterFinished: 60 }, finished), [pod('Succeeded')], now, timing).deleteJob,
    true,
  );
  assert.equal(decideJob(job({}, finished), [pod('Succeeded')], now, timing).deleteJob, false);
});

test('counts never go down when finished pods are removed', () => {
  const d = decideJob(job({ completions: 3 }, { succeeded: 2, failed: 1 }), [], now, timing);
  assert.equal(d.status.succeeded, 2);
  assert.equal(d.status.failed, 1);
  assert.equal(d.create.length, 1);
});

test('suspend stops the active pods and clears startTime; resume restarts the clock', () => {
  const running = pod('Running');
  const suspended = decideJob(
    job({ suspend: true }, { startTime: '2026-01-01T00:00:00Z' }),
    [running],
    now,
    timing,
  );
  assert.deepEqual(suspended.delete, [running.metadata.name]);
  assert.equal(suspended.status.startTime, undefined);
  assert.equal(condition(suspended, 'Suspended')?.status, 'True');
  const resumed = decideJob(job({ suspend: false }, suspended.status), [], now, timing);
  assert.equal(condition(resumed, 'Suspended')?.status, 'False');
  assert.equal(resumed.status.startTime, '2026-01-01T00:10:00Z');
  assert.equal(resumed.create.length, 1);
});

test('Indexed: missing indexes are created lowest first; duplicates deleted; completedIndexes compressed', () => {
  const spec = { completionMode: 'Indexed', completions: 6, parallelism: 3 };
  const duplicate = pod('Running', { index: 1 });
  const d = decideJob(
    job(spec),
    [pod('Succeeded', { index: 0 }), pod('Running', { index: 1 }), duplicate, pod('Succeeded', { index: 3 })],
    now,
    timing,
  );
  assert.deepEqual(d.delete, [duplicate.metadata.name]);
  assert.deepEqual(d.create, [2, 4]);
  assert.equal(d.status.completedIndexes, '0,3');
  assert.equal(d.status.succeeded, 2);
  assert.equal(formatIndexes(new Set([5, 0, 1, 2, 7, 8])), '0-2,5,7-8');
  const all = [0, 1, 2, 3, 4, 5].map((index) => pod('Succeeded', { index }));
  assert.equal(condition(decideJob(job(spec), all, now, timing), 'Complete')?.status, 'True');
});
