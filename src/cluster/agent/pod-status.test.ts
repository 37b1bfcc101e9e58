import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AttemptObservation,
  computePodStatus,
  type ContainerObservation,
  type PodObservation,
} from './pod-status.ts';
import { statusChanged } from '../controllers/runtime/status-changed.ts';
import { testContainer, testPod } from './test-pods.ts';

const now = '2030-01-01T00:00:10Z';
const attempt = (fields: Partial<AttemptObservation> = {}): AttemptObservation => ({
  containerId: 'a'.repeat(64),
  imageId: 'sha256:img',
  status: 'running',
  startedAt: '2030-01-01T00:00:01Z',
  finishedAt: '',
  exitCode: 0,
  oomKilled: false,
  error: '',
  ...fields,
});
const container = (fields: Partial<ContainerObservation> = {}): ContainerObservation => ({
  name: 'app',
  image: 'busybox',
  current: attempt(),
  restartCount: 0,
  ready: true,
  started: true,
  ...fields,
});
const observed = (fields: Partial<PodObservation> = {}): PodObservation => ({
  podIP: '10.1.0.2',
  hostIP: '10.1.0.1',
  initContainers: [],
  containers: [container()],
  ...fields,
});
const conditionOf = (status: ReturnType<typeof computePodStatus>, type: string) =>
  status.conditions?.find((c) => c.type === type);

test('a running, ready container makes the pod Running and Ready with its IPs and container status', () => {
  const status = computePodStatus(testPod(), observed(), now);
  assert.equal(status.phase, 'Running');
  assert.equal(status.podIP, '10.1.0.2');
  assert.deepEqual(status.podIPs, [{ ip: '10.1.0.2' }]);
  assert.equal(status.hostIP, '10.1.0.1');
  assert.equal(status.startTime, now);
  for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'])
    assert.equal(conditionOf(status, type)?.status, 'True', type);
  assert.deepEqual(status.containerStatuses?.[0], {
    name: 'app',
    state: { running: { startedAt: '2030-01-01T00:00:01Z' } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image: 'busybox',
    imageID: 'sha256:img',
    containerID: `marina://${'a'.repeat(64)}`,
    started: true,
  });
});

test('a container not yet made is ContainerCreating and the pod Pending, not Ready', () => {
  const status = computePodStatus(
    testPod(),
    observed({ containers: [container({ current: undefined, ready: false })] }),
    now,
  );
  assert.equal(status.phase, 'Pending');
  assert.deepEqual(status.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
  assert.equal(conditionOf(status, 'Ready')?.status, 'False');
  assert.equal(conditionOf(status, 'Ready')?.reason, 'ContainersNotReady');
});

test('terminated states carry Kubernetes reasons: Completed, Error, OOMKilled', () => {
  const pod = testPod({ restartPolicy: 'Never' });
  const finished = (fields: Partial<AttemptObservation>) =>
    computePodStatus(
      pod,
      observed({
        containers: [
          container({ current: attempt({ status: 'exited', finishedAt: now, ...fields }), ready: false }),
        ],
      }),
      now,
    );
  const completed = finished({ exitCode: 0 });
  assert.equal(completed.phase, 'Succeeded');
  assert.equal(completed.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  assert.equal(conditionOf(completed, 'Ready')?.reason, 'PodCompleted');
  const failed = finished({ exitCode: 2 });
  assert.equal(failed.phase, 'Failed');
  assert.equal(failed.containerStatuses?.[0]?.state?.terminated?.reason, 'Error');
  assert.equal(
    finished({ exitCode: 137, oomKilled: true }).containerStatuses?.[0]?.state?.terminated?.reason,
    'OOMKilled',
  );
});

test('a container waiting to restart is CrashLoopBackOff with the exit as its last state, and the pod stays Running', () => {
  const crashed = attempt({ status: 'exited', exitCode: 1, finishedAt: now });
  const status = computePodStatus(
    testPod(),
    observed({
      containers: [
        container({
          current: crashed,
          restartCount: 3,
          ready: false,
          waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' },
        }),
      ],
    }),
    now,
  );
  assert.equal(status.phase, 'Running');
  const [c] = status.containerStatuses ?? [];
  assert.deepEqual(c?.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } });
  assert.equal(c?.lastState?.terminated?.exitCode, 1);
  assert.equal(c?.restartCount, 3);
});

test('OnFailure: a failed container that will restart keeps the pod Running; all succeeded is Succeeded', () => {
  const pod = testPod({
    restartPolicy: 'OnFailure',
    containers: [testContainer({ name: 'a' }), testContainer({ name: 'b' })],
  });
  const done = (exitCode: number, name: string) =>
    container({ name, current: attempt({ status: 'exited', exitCode, finishedAt: now }), ready: false });
  assert.equal(
    computePodStatus(pod, observed({ containers: [done(0, 'a'), done(1, 'b')] }), now).phase,
    'Running',
  );
  assert.equal(
    computePodStatus(pod, observed({ containers: [done(0, 'a'), done(0, 'b')] }), now).phase,
    'Succeeded',
  );
});

test('init containers: Pending and not Initialized until all succeeded; app containers wait as PodInitializing', () => {
  const init = container({ name: 'init', current: attempt(), ready: false });
  const app = container({ current: undefined, ready: false, waiting: { reason: 'PodInitializing' } });
  const status = computePodStatus(testPod(), observed({ initContainers: [init], containers: [app] }), now);
  assert.equal(status.phase, 'Pending');
  assert.equal(conditionOf(status, 'Initialized')?.status, 'False');
  assert.equal(status.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  const failure = { reason: 'Failed', message: 'init container init failed with exit code 1' };
  assert.equal(
    computePodStatus(testPod(), observed({ initContainers: [init], containers: [app], failure }), now).phase,
    'Failed',
  );
});

test('condition transition times and the start time stay while nothing changes, so the status compares equal', () => {
  const first = computePodStatus(testPod(), observed(), now);
  const pod = { ...testPod(), status: first };
  const again = computePodStatus(pod, observed(), '2030-01-01T00:05:00Z');
  assert.equal(statusChanged(first, again), false);
  const notReady = computePodStatus(
    pod,
    observed({ containers: [container({ ready: false })] }),
    '2030-01-01T00:05:00Z',
  );
  assert.equal(statusChanged(first, notReady), true);
  assert.equal(conditionOf(notReady, 'Ready')?.lastTransitionTime, '2030-01-01T00:05:00Z');
  assert.equal(conditionOf(notReady, 'PodScheduled')?.lastTransitionTime, now);
  assert.equal(notReady.startTime, now);
});
