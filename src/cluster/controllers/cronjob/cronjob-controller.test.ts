import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CronJob, Job } from '../../resources/batch-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import { finishedCondition } from '../job/job-decision.ts';
import { controllerFixture } from '../test-controllers.ts';
import { eventually } from '../test-eventually.ts';
import { CronJobController } from './cronjob-controller.ts';
import { jobNameFor, scheduledTimestampAnnotation } from './cronjob-decision.ts';

const cronJobs = kindByName('cronjobs');
const jobs = kindByName('jobs');

test('a `* * * * *` CronJob makes one Job per minute of an injected clock; Forbid waits; history is trimmed', async (t) => {
  let now = new Date('2026-01-01T00:00:00Z');
  const f = await controllerFixture(t, () => now);
  const controller = new CronJobController({
    ...f.common,
    now: () => now,
  });
  f.run(controller);
  const { object } = await f.cluster.api.create(cronJobs, 'default', {
    metadata: { name: 'tick' },
    spec: {
      schedule: '* * * * *',
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { app: 'tick' } },
        spec: {
          template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } },
        },
      },
    },
  });
  const listJobs = async () => (await f.cluster.api.list(jobs, 'default')).items as Job[];
  const tick = async (time: string) => {
    now = new Date(`2026-01-01T${time}Z`);
    controller.queue.add('default/tick');
  };
  const complete = async (name: string) => {
    const job = await f.cluster.api.get(jobs, 'default', name);
    await f.cluster.api.updateStatus(jobs, 'default', name, {
      ...job,
      status: { completionTime: now.toISOString(), conditions: [{ type: 'Complete', status: 'True' }] },
    });
  };

  await tick('00:01:05');
  const first = jobNameFor('tick', new Date('2026-01-01T00:01:00Z'));
  const [job] = await eventually(async () => {
    const list = await listJobs();
    return list.length === 1 && list;
  }, 'the first run');
  assert.equal(job!.metadata.name, first);
  assert.equal(job!.metadata.ownerReferences?.[0]?.uid, object.metadata.uid);
  assert.equal(job!.metadata.labels?.app, 'tick');
  assert.equal(job!.metadata.annotations?.[scheduledTimestampAnnotation], '2026-01-01T00:01:00Z');
  await eventually(async () => {
    const cj = (await f.cluster.api.get(cronJobs, 'default', 'tick')) as CronJob;
    return cj.status?.active?.[0]?.name === first && cj.status.lastScheduleTime === '2026-01-01T00:01:00Z';
  }, 'status.active and lastScheduleTime');

  await tick('00:02:05');
  await eventually(() => f.events.recorded.some((e) => e.reason === 'JobAlreadyActive'), 'Forbid reported');
  assert.equal((await listJobs()).length, 1, 'Forbid: no second Job while the first runs');

  await complete(first);
  const second = jobNameFor('tick', new Date('2026-01-01T00:02:00Z'));
  await eventually(
    async () => (await listJobs()).some((j) => j.metadata.name === second),
    'the pending run once the first finished',
  );

  await complete(second);
  await eventually(async () => {
    const list = await listJobs();
    return list.length === 1 && list[0]!.metadata.name === second && finishedCondition(list[0]!);
  }, 'the older finished Job deleted (history limit 1)');
  const cj = await eventually(async () => {
    const c = (await f.cluster.api.get(cronJobs, 'default', 'tick')) as CronJob;
    return c.status?.active === undefined && c.status?.lastSuccessfulTime !== undefined && c;
  }, 'no active Job, a last success');
  assert.ok(cj.status?.lastSuccessfulTime);
});
