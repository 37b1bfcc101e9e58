import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CronJob, CronJobSpec, Job } from '../../resources/batch-schemas.ts';
import { decideCronJob, jobNameFor } from './cronjob-decision.ts';

const created = '2026-01-01T00:00:00Z';

function cronJob(spec: Partial<CronJobSpec> = {}, status: CronJob['status'] = undefined): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default', uid: 'cj', creationTimestamp: created },
    spec: {
      schedule: '* * * * *',
      concurrencyPolicy: 'Allow',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function job(name: string, state: 'active' | 'Complete' | 'Failed', startTime = '2026-01-01T00:00:00Z'): Job {
  const finished =
    state === 'active' ? {} : { conditions: [{ type: state, status: 'True' }], completionTime: startTime };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { template: { spec: { containers: [] } } },
    status: { startTime, ...finished },
  };
}

const at = (time: string) => new Date(`2026-01-01T${time}Z`);

test('the run due creates a Job named by its minute; requeued at the next schedule time', () => {
  const d = decideCronJob(cronJob(), [], at('00:01:30'));
  assert.deepEqual(d.create, {
    name: `tick-${Math.floor(at('00:01:00').getTime() / 60_000)}`,
    scheduledTime: at('00:01:00'),
  });
  assert.equal(d.status.lastScheduleTime, '2026-01-01T00:01:00Z');
  assert.equal(d.requeueAfterMs, 30_000);
  assert.equal(jobNameFor('tick', at('00:01:59')), jobNameFor('tick', at('00:01:00')));
});

test('nothing due before the first run, nor twice for the same run, nor while suspended', () => {
  assert.equal(decideCronJob(cronJob(), [], at('00:00:30')).create, undefined);
  const ran = cronJob({}, { lastScheduleTime: '2026-01-01T00:01:00Z' });
  assert.equal(decideCronJob(ran, [], at('00:01:40')).create, undefined);
  const existing = job(jobNameFor('tick', at('00:02:00')), 'active');
  assert.equal(decideCronJob(cronJob(), [existing], at('00:02:10')).create, undefined);
  const suspended = decideCronJob(cronJob({ suspend: true }), [], at('00:05:00'));
  assert.equal(suspended.create, undefined);
  assert.equal(suspended.requeueAfterMs, undefined);
});

test('concurrencyPolicy: Allow runs alongside, Forbid waits, Replace deletes the active Job', () => {
  const running = job('tick-old', 'active');
  const status = {
    lastScheduleTime: '2026-01-01T00:01:00Z',
    active: [{ name: 'tick-old', uid: 'uid-tick-old' }],
  };
  const now = at('00:02:00');
  const allow = decideCronJob(cronJob({}, status), [running], now);
  assert.ok(allow.create);
  assert.equal(allow.status.active?.length, 1);

  const forbid = decideCronJob(cronJob({ concurrencyPolicy: 'Forbid' }, status), [running], now);
  assert.equal(forbid.create, undefined);
  assert.equal(forbid.status.lastScheduleTime, '2026-01-01T00:01:00Z', 'the run is still pending');
  assert.equal(forbid.events[0]?.reason, 'JobAlreadyActive');

  const replace = decideCronJob(cronJob({ concurrencyPolicy: 'Replace' }, status), [running], now);
  assert.ok(replace.create);
  assert.deepEqual(replace.delete, ['tick-old']);
  assert.equal(replace.status.active, undefined);
});

test('history limits delete the oldest finished Jobs of each kind; lastSuccessfulTime is the latest completion', () => {
  const jobs = [
    job('s1', 'Complete', '2026-01-01T00:01:00Z'),
    job('s3', 'Complete', '2026-01-01T00:03:00Z'),
    job('s2', 'Complete', '2026-01-01T00:02:00Z'),
    job('f1', 'Failed', '2026-01-01T00:01:30Z'),
    job('f2', 'Failed', '2026-01-01T00:02:30Z'),
    job('running', 'active'),
  ];
  const d = decideCronJob(cronJob({ successfulJobsHistoryLimit: 2, suspend: true }), jobs, at('00:04:00'));
  assert.deepEqual(d.delete, ['s1', 'f1']);
  assert.equal(d.status.lastSuccessfulTime, '2026-01-01T00:03:00Z');
  assert.deepEqual(
    d.status.active?.map((r) => r.name),
    ['running'],
  );
});

test('startingDeadlineSeconds: only a run within the deadline starts', () => {
  const late = decideCronJob(
    cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 60 }),
    [],
    at('01:05:00'),
  );
  assert.equal(late.create, undefined);
  const onTime = decideCronJob(
    cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 600 }),
    [],
    at('01:05:00'),
  );
  assert.equal(onTime.create?.scheduledTime.toISOString(), '2026-01-01T01:00:00.000Z');
});

test('more than 100 missed runs: TooManyMissedTimes, and the latest still runs', () => {
  const d = decideCronJob(cronJob(), [], at('03:00:00'));
  assert.equal(d.events[0]?.reason, 'TooManyMissedTimes');
  assert.equal(d.create?.scheduledTime.toISOString(), '2026-01-01T03:00:00.000Z');
});

test('a finished Job that was active is reported once', () => {
  const done = job('tick-1', 'Complete');
  const d = decideCronJob(
    cronJob({ suspend: true }, { active: [{ name: 'tick-1', uid: 'uid-tick-1' }] }),
    [done],
    at('00:01:00'),
  );
  assert.equal(d.events[0]?.reason, 'SawCompletedJob');
  assert.equal(d.status.active, undefined);
});
