import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, runScore, snapshotOf } from '../test-objects.ts';
import { nodeAffinity } from './node-affinity.ts';

const mismatch = "node(s) didn't match Pod's node affinity/selector";
const snapshot = () =>
  snapshotOf([
    node('ssd-a', { labels: { disk: 'ssd', zone: 'a', cores: '16' } }),
    node('hdd-b', { labels: { disk: 'hdd', zone: 'b', cores: '4' } }),
    node('bare'),
  ]);

test('nodeSelector labels must all be on the node', () => {
  assert.deepEqual(
    runFilter(nodeAffinity, pod('p', { nodeSelector: { disk: 'ssd', zone: 'a' } }), snapshot()),
    {
      'ssd-a': 'fits',
      'hdd-b': mismatch,
      bare: mismatch,
    },
  );
  assert.deepEqual(runFilter(nodeAffinity, pod('p'), snapshot()), {
    'ssd-a': 'skipped',
    'hdd-b': 'skipped',
    bare: 'skipped',
  });
});

test('required node affinity: terms ORed, expressions ANDed, with nodeSelector on top', () => {
  const p = pod('p', {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] },
            {
              matchExpressions: [
                { key: 'zone', operator: 'In', values: ['b'] },
                { key: 'disk', operator: 'Exists' },
              ],
            },
          ],
        },
      },
    },
  });
  assert.deepEqual(runFilter(nodeAffinity, p, snapshot()), {
    'ssd-a': 'fits',
    'hdd-b': 'fits',
    bare: mismatch,
  });
  const narrowed = pod('p', { ...p.spec, nodeSelector: { disk: 'hdd' } });
  assert.deepEqual(runFilter(nodeAffinity, narrowed, snapshot()), {
    'ssd-a': mismatch,
    'hdd-b': 'fits',
    bare: mismatch,
  });
});

test('preferred terms score by the weights they match, scaled to 100', () => {
  const p = pod('p', {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 30,
            preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
          },
          { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
        ],
      },
    },
  });
  assert.deepEqual(runScore(nodeAffinity, p, snapshot()), { 'ssd-a': 100, 'hdd-b': 25, bare: 0 });
  assert.equal(runScore(nodeAffinity, pod('q'), snapshot()), undefined, 'no preferences: skipped');
});
