import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job } from './batch-schemas.ts';
import { defaultJob } from './defaults.ts';
import { defaultImagePullPolicy } from './pod-defaults.ts';

test('images that can change under their name are always pulled', () => {
  assert.equal(defaultImagePullPolicy('busybox'), 'Always');
  assert.equal(defaultImagePullPolicy('busybox:latest'), 'Always');
  assert.equal(defaultImagePullPolicy('localhost:5000/team/app'), 'Always');
  assert.equal(defaultImagePullPolicy('localhost:5000/team/app:1.2'), 'IfNotPresent');
  assert.equal(defaultImagePullPolicy('busybox@sha256:0123'), 'IfNotPresent');
});

const job = (spec: Partial<Job['spec']>, manualSelector?: boolean): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'j', uid: 'u-1' },
  spec: {
    template: { spec: { containers: [{ name: 'c', image: 'i:1' }], restartPolicy: 'Never' } },
    ...spec,
    manualSelector,
  },
});

test('Job completions and parallelism default as Kubernetes does', () => {
  assert.deepEqual([defaultJob(job({})).spec.completions, defaultJob(job({})).spec.parallelism], [1, 1]);
  const parallelOnly = defaultJob(job({ parallelism: 4 })).spec;
  assert.deepEqual([parallelOnly.completions, parallelOnly.parallelism], [undefined, 4]);
  const completionsOnly = defaultJob(job({ completions: 5 })).spec;
  assert.deepEqual([completionsOnly.completions, completionsOnly.parallelism], [5, 1]);
  assert.equal(defaultJob(job({})).spec.template.spec.restartPolicy, 'Never');
});

test('a Job with a manual selector keeps it and gets no generated labels', () => {
  const manual = defaultJob(job({ selector: { matchLabels: { app: 'x' } } }, true));
  assert.deepEqual(manual.spec.selector, { matchLabels: { app: 'x' } });
  assert.equal(manual.spec.template.metadata, undefined);
});
