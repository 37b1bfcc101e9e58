import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, runScore, snapshotOf } from '../test-objects.ts';
import type { PodAffinityTermView } from '../types.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';

const zone = 'topology.kubernetes.io/zone';
const hostname = 'kubernetes.io/hostname';
const term = (app: string, topologyKey: string): PodAffinityTermView => ({
  labelSelector: { matchLabels: { app } },
  topologyKey,
});
const nodes = () => [
  node('a1', { labels: { [zone]: 'a' } }),
  node('a2', { labels: { [zone]: 'a' } }),
  node('b1', { labels: { [zone]: 'b' } }),
  node('nozone'),
];

test('required affinity: only nodes in a domain that holds a matching pod', () => {
  const snapshot = snapshotOf(nodes(), [[pod('db', { labels: { app: 'db' } }), 'a1']]);
  const web = pod('web', {
    affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', zone)] } },
  });
  const miss = "node(s) didn't match pod affinity rules";
  assert.deepEqual(runFilter(interPodAffinity, web, snapshot), {
    a1: 'fits',
    a2: 'fits',
    b1: miss,
    nozone: miss,
  });
  const otherNamespace = pod('web', { ...web.spec, namespace: 'other' });
  assert.deepEqual(runFilter(interPodAffinity, otherNamespace, snapshot), {
    a1: miss,
    a2: miss,
    b1: miss,
    nozone: miss,
  });
});

test('the first pod of a self-affine group may go anywhere its topology key exists', () => {
  const first = pod('c1', {
    labels: { app: 'cache' },
    affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('cache', zone)] } },
  });
  assert.deepEqual(runFilter(interPodAffinity, first, snapshotOf(nodes())), {
    a1: 'fits',
    a2: 'fits',
    b1: 'fits',
    nozone: "node(s) didn't match pod affinity rules",
  });
});

test('required anti-affinity keeps the pod out of domains with matching pods', () => {
  const snapshot = snapshotOf(nodes(), [[pod('w1', { labels: { app: 'web' } }), 'a1']]);
  const web = pod('w2', {
    labels: { app: 'web' },
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', zone)] } },
  });
  const miss = "node(s) didn't match pod anti-affinity rules";
  assert.deepEqual(runFilter(interPodAffinity, web, snapshot), {
    a1: miss,
    a2: miss,
    b1: 'fits',
    nozone: 'fits',
  });
});

test("existing pods' required anti-affinity keeps matching pods out of their domain", () => {
  const loner = pod('loner', {
    affinity: {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('noisy', hostname)] },
    },
  });
  const snapshot = snapshotOf(nodes(), [[loner, 'b1']]);
  assert.deepEqual(runFilter(interPodAffinity, pod('n', { labels: { app: 'noisy' } }), snapshot), {
    a1: 'fits',
    a2: 'fits',
    b1: "node(s) didn't satisfy existing pods anti-affinity rules",
    nozone: 'fits',
  });
  assert.deepEqual(runFilter(interPodAffinity, pod('quiet', { labels: { app: 'quiet' } }), snapshot), {
    a1: 'skipped',
    a2: 'skipped',
    b1: 'skipped',
    nozone: 'skipped',
  });
});

test('preferred affinity and anti-affinity score domains by weight, both ways round', () => {
  const snapshot = snapshotOf(nodes(), [
    [pod('db', { labels: { app: 'db' } }), 'a1'],
    [pod('batch', { labels: { app: 'batch' } }), 'b1'],
  ]);
  const web = pod('web', {
    affinity: {
      podAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db', zone) }],
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, podAffinityTerm: term('batch', zone) },
        ],
      },
    },
  });
  assert.deepEqual(runScore(interPodAffinity, web, snapshot), { a1: 100, a2: 100, b1: 0, nozone: 50 });

  const shy = pod('shy', {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 5, podAffinityTerm: term('web', hostname) },
        ],
      },
    },
  });
  const symmetric = snapshotOf(nodes(), [[shy, 'a2']]);
  assert.deepEqual(runScore(interPodAffinity, pod('w', { labels: { app: 'web' } }), symmetric), {
    a1: 100,
    a2: 0,
    b1: 100,
    nozone: 100,
  });
  assert.equal(runScore(interPodAffinity, pod('plain'), snapshotOf(nodes())), undefined);
});
