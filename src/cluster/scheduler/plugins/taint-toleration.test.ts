import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, runScore, snapshotOf } from '../test-objects.ts';
import { taintToleration } from './taint-toleration.ts';
import { toleratesTaint } from '../../resources/tolerations.ts';

test('toleration matching: key, value, effect, Equal and Exists', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  assert.equal(toleratesTaint({ key: 'dedicated', value: 'gpu' }, taint), true, 'Equal is the default');
  assert.equal(toleratesTaint({ key: 'dedicated', value: 'cpu' }, taint), false);
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, taint), true);
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint), false);
  assert.equal(toleratesTaint({ operator: 'Exists' }, taint), true, 'empty key with Exists tolerates all');
  assert.equal(toleratesTaint({ value: 'gpu' }, taint), false, 'empty key with Equal tolerates nothing');
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Near', value: 'gpu' }, taint), false);
});

test('NoSchedule and NoExecute taints reject pods that do not tolerate them; PreferNoSchedule does not', () => {
  const snapshot = snapshotOf([
    node('plain'),
    node('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    node('draining', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }),
    node('soft', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }),
  ]);
  assert.deepEqual(runFilter(taintToleration, pod('p'), snapshot), {
    plain: 'fits',
    gpu: 'node(s) had untolerated taint {dedicated: gpu}',
    draining: 'node(s) had untolerated taint {maintenance: }',
    soft: 'fits',
  });
  const gpuPod = pod('p', { tolerations: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
  assert.equal(runFilter(taintToleration, gpuPod, snapshot).gpu, 'fits');
});

test('untolerated PreferNoSchedule taints lower the score', () => {
  const soft = (key: string) => ({ key, effect: 'PreferNoSchedule' });
  const snapshot = snapshotOf([
    node('clean'),
    node('one', { taints: [soft('a')] }),
    node('two', { taints: [soft('a'), soft('b')] }),
  ]);
  assert.deepEqual(runScore(taintToleration, pod('p'), snapshot), { clean: 100, one: 50, two: 0 });
  const tolerant = pod('p', { tolerations: [{ key: 'a', operator: 'Exists' }] });
  assert.deepEqual(runScore(taintToleration, tolerant, snapshot), { clean: 100, one: 100, two: 0 });
});
