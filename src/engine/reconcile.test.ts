import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RuntimeState } from '../runtime/runtime.ts';
import type { ContainerEntry } from './container-store.ts';
import type { ContainerStatus, RestartPolicy } from './container-types.ts';
import { planReconcile } from './reconcile.ts';

function entry(id: string, status: ContainerStatus, policy?: RestartPolicy, explicitlyStopped = false): ContainerEntry {
  return {
    record: { id, request: { image: 'busybox', restartPolicy: policy }, state: { status } } as ContainerEntry['record'],
    explicitlyStopped,
    anonymousVolumes: [],
    stopSignal: 'SIGTERM',
    publish: [],
  };
}
const rt = (id: string, status: RuntimeState['status'], pid = 42): [string, RuntimeState] => [id, { id, status, pid, monitorPid: 1 }];

test('running rows: adopted when the runtime still runs them, else their exit is recorded (which deletes runc state)', () => {
  const actions = planReconcile({
    containers: [entry('a', 'running'), entry('b', 'running'), entry('c', 'running')],
    runtime: new Map([rt('a', 'running', 7), rt('b', 'stopped')]),
    snapshots: ['a', 'b', 'c'],
  });
  assert.deepEqual(actions, [
    { kind: 'adopt', id: 'a', pid: 7 },
    { kind: 'record-exit', id: 'b' },
    { kind: 'record-exit', id: 'c' },
  ]);
});

test('restarting resumes, removing finishes, stopped ones start only with a daemon-start policy', () => {
  const actions = planReconcile({
    containers: [
      entry('r', 'restarting', { name: 'always' }),
      entry('x', 'removing'),
      entry('al', 'exited', { name: 'always' }),
      entry('us', 'exited', { name: 'unless-stopped' }, true),
      entry('of', 'exited', { name: 'on-failure' }),
      entry('cr', 'created', { name: 'always' }),
    ],
    runtime: new Map(),
    snapshots: [],
  });
  assert.deepEqual(actions, [
    { kind: 'resume-restart', id: 'r' },
    { kind: 'finish-removal', id: 'x' },
    { kind: 'start', id: 'al' },
  ]);
});

test('runtime state and snapshots without a row (or of a row that is not running) are removed', () => {
  const actions = planReconcile({
    containers: [entry('created', 'created')],
    runtime: new Map([rt('orphan', 'running'), rt('created', 'created')]),
    snapshots: ['created', 'lost'],
  });
  assert.deepEqual(actions, [
    { kind: 'delete-runtime', id: 'orphan' },
    { kind: 'delete-runtime', id: 'created' },
    { kind: 'remove-snapshot', id: 'lost' },
  ]);
});
