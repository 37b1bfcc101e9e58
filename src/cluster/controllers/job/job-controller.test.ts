import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import type { ResourceService } from '../../apiserver/resource-service.ts';
import type { Job } from '../../resources/batch-schemas.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import { eventually } from '../test-eventually.ts';
import { JobController } from './job-controller.ts';
import { completionIndexAnnotation } from './job-decision.ts';
import { controllerFixture } from '../test-controllers.ts';

const jobs = kindByName('jobs');
const pods = kindByName('pods');
const fast = { backoffBaseMs: 1, backoffMaxMs: 1 };

function jobBody(name: string, spec: Record<string, unknown>) {
  return {
    metadata: { name },
    spec: {
      template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } },
      ...spec,
    },
  };
}

async function podsOf(api: ResourceService, job: string): Promise<Pod[]> {
  const { items } = await api.list(
    pods,
    'default',
    (p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === job,
  );
  return items as Pod[];
}

/** The node agent's part: the pod ran and ended with `phase`. */
async function finish(api: ResourceService, pod: KubeObject, phase: 'Succeeded' | 'Failed'): Promise<void> {
  const current = await api.get(pods, 'default', pod.metadata.name!);
  await api.updateStatus(pods, 'default', pod.metadata.name!, { ...current, status: { phase } });
}

const active = (list: Pod[]) => list.filter((p) => !p.status?.phase || p.status.phase === 'Pending');
const condition = (job: Job, type: string) =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

test('a Job runs its completions parallelism at a time, owning labelled pods, and completes', async (t) => {
  const f = await controllerFixture(t);
  f.run(
    new JobController({
      ...f.common,
      timing: fast,
    }),
  );
  const { object } = await f.cluster.api.create(
    jobs,
    'default',
    jobBody('work', { completions: 3, parallelism: 2 }),
  );

  for (let done = 0; done < 3; ) {
    const running = await eventually(async () => {
      const list = active(await podsOf(f.cluster.api, 'work'));
      return list.length === Math.min(2, 3 - done) && list;
    }, 'the pods parallelism allows');
    const [first] = running;
    assert.equal(first!.metadata.ownerReferences?.[0]?.uid, object.metadata.uid);
    assert.equal(first!.metadata.labels?.['batch.kubernetes.io/controller-uid'], object.metadata.uid);
    await finish(f.cluster.api, first!, 'Succeeded');
    done++;
  }
  const job = await eventually(async () => {
    const j = (await f.cluster.api.get(jobs, 'default', 'work')) as Job;
    return condition(j, 'Complete') && j;
  }, 'the Job complete');
  assert.equal(job.status?.succeeded, 3);
  assert.equal(job.status?.active, 0);
  assert.ok(job.status?.completionTime);
  assert.equal((await podsOf(f.cluster.api, 'work')).length, 3, 'never a pod too many');
  assert.ok(f.events.recorded.some((e) => e.reason === 'Completed'));
});

test('failed pods are replaced until backoffLimit is exceeded; the Job fails', async (t) => {
  const f = await controllerFixture(t);
  f.run(
    new JobController({
      ...f.common,
      timing: fast,
    }),
  );
  await f.cluster.api.create(jobs, 'default', jobBody('flaky', { backoffLimit: 1 }));
  for (let failures = 0; failures < 2; failures++) {
    const [pod] = await eventually(
      async () => {
        const list = active(await podsOf(f.cluster.api, 'flaky'));
        return list.length === 1 && list;
      },
      `attempt ${failures + 1}`,
    );
    await finish(f.cluster.api, pod!, 'Failed');
  }
  const job = await eventually(async () => {
    const j = (await f.cluster.api.get(jobs, 'default', 'flaky')) as Job;
    return condition(j, 'Failed') && j;
  }, 'the Job failed');
  assert.equal(condition(job, 'Failed')?.reason, 'BackoffLimitExceeded');
  assert.equal(job.status?.failed, 2);
  assert.equal((await podsOf(f.cluster.api, 'flaky')).length, 2);
});

test('activeDeadlineSeconds fails the Job and deletes its pods; ttlSecondsAfterFinished deletes the Job', async (t) => {
  let now = new Date('2026-01-01T00:00:00Z');
  const f = await controllerFixture(t, () => now);
  const controller = new JobController({
    ...f.common,
    now: () => now,
  });
  f.run(controller);
  await f.cluster.api.create(
    jobs,
    'default',
    jobBody('slow', { activeDeadlineSeconds: 30, ttlSecondsAfterFinished: 60 }),
  );
  await eventually(async () => active(await podsOf(f.cluster.api, 'slow')).length === 1, 'a pod');

  now = new Date('2026-01-01T00:00:31Z');
  controller.queue.add('default/slow');
  const job = await eventually(async () => {
    const j = (await f.cluster.api.get(jobs, 'default', 'slow')) as Job;
    return condition(j, 'Failed') && j;
  }, 'the deadline');
  assert.equal(condition(job, 'Failed')?.reason, 'DeadlineExceeded');
  await eventually(async () => (await podsOf(f.cluster.api, 'slow')).length === 0, 'its pod deleted');

  now = new Date('2026-01-01T00:01:32Z');
  controller.queue.add('default/slow');
  await eventually(
    async () => (await f.cluster.api.list(jobs, 'default')).items.length === 0,
    'the Job deleted after its TTL',
  );
});

test('an Indexed Job gives each pod its index in an annotation and JOB_COMPLETION_INDEX', async (t) => {
  const f = await controllerFixture(t);
  f.run(
    new JobController({
      ...f.common,
      timing: fast,
    }),
  );
  await f.cluster.api.create(
    jobs,
    'default',
    jobBody('indexed', { completions: 2, parallelism: 2, completionMode: 'Indexed' }),
  );
  const list = await eventually(async () => {
    const l = await podsOf(f.cluster.api, 'indexed');
    return l.length === 2 && l;
  }, 'two pods');
  const indexes = list.map((p) => p.metadata.annotations?.[completionIndexAnnotation]).sort();
  assert.deepEqual(indexes, ['0', '1']);
  for (const pod of list) {
    const env = pod.spec.containers[0]?.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX');
    assert.equal(env?.value, pod.metadata.annotations?.[completionIndexAnnotation]);
    await finish(f.cluster.api, pod, 'Succeeded');
  }
  const job = await eventually(async () => {
    const j = (await f.cluster.api.get(jobs, 'default', 'indexed')) as Job;
    return condition(j, 'Complete') && j;
  }, 'complete');
  assert.equal(job.status?.completedIndexes, '0-1');
});
