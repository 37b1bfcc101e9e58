import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import type { Pod } from '../cluster/resources/pod-schemas.ts';
import { kindByName } from '../cluster/resources/registry.ts';
import { checkPodTargetKind, pickWorkloadPod, sinceSecondsOf } from './cluster-logs-target.ts';

const deployment = kindByName('deploy');
const web: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } } } };

function pod(name: string, options: { app?: string; phase?: string; ready?: boolean; created: string; deleting?: boolean }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { app: options.app ?? 'web' },
      creationTimestamp: options.created,
      ...(options.deleting ? { deletionTimestamp: options.created } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: {
      phase: options.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: options.ready ? 'True' : 'False' }],
    },
  };
}

const pick = (pods: Pod[]) => pickWorkloadPod(deployment, web, pods).metadata.name;

test('a workload\'s pod: running before not, Ready before not, then the newest; only its selector\'s pods', () => {
  const old = '2026-01-01T00:00:00Z';
  const newer = '2026-01-02T00:00:00Z';
  assert.equal(pick([pod('a', { created: old, ready: true }), pod('b', { created: newer, ready: true })]), 'b');
  assert.equal(pick([pod('ready', { created: old, ready: true }), pod('unready', { created: newer })]), 'ready');
  assert.equal(pick([pod('pending', { created: newer, phase: 'Pending' }), pod('running', { created: old })]), 'running');
  assert.equal(pick([pod('other', { app: 'api', created: newer, ready: true }), pod('mine', { created: old, phase: 'Succeeded' })]), 'mine');
  assert.equal(pick([pod('going', { created: newer, ready: true, deleting: true }), pod('staying', { created: old })]), 'staying');
  assert.throws(() => pick([pod('other', { app: 'api', created: old })]), /no pods found for deployment.apps\/web/);
  const noSelector = { ...web, spec: {} };
  assert.throws(() => pickWorkloadPod(deployment, noSelector, [pod('a', { created: old })]), /no pods found/);
});

test('only pods and the workloads that select pods are targets', () => {
  for (const name of ['pod', 'deploy', 'rs', 'job']) assert.doesNotThrow(() => checkPodTargetKind(kindByName(name)));
  assert.throws(() => checkPodTargetKind(kindByName('cm')), /configmaps have no pods to reach here/);
  assert.throws(() => checkPodTargetKind(kindByName('cronjob')), /use pod\/NAME, deploy\/NAME, rs\/NAME or job\/NAME/);
});

test('--since: a duration (or a time) as whole seconds back from now', () => {
  const now = Date.parse('2026-01-02T03:04:05Z');
  assert.equal(sinceSecondsOf('5m', now), 300);
  assert.equal(sinceSecondsOf('1h30m', now), 5400);
  assert.equal(sinceSecondsOf('100ms', now), 1);
  assert.equal(sinceSecondsOf('2026-01-02T03:04:00Z', now), 5);
  assert.throws(() => sinceSecondsOf('2026-01-03T00:00:00Z', now), /not in the past/);
  assert.throws(() => sinceSecondsOf('soon', now), /invalid value for "since"/);
});
