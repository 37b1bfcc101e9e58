import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKubePath, parseKubePath } from './kube-path.ts';

test('parseKubePath: core and named groups, namespaced and cluster-scoped, subresources', () => {
  assert.deepEqual(parseKubePath('/api/v1/namespaces/default/pods'), { group: '', version: 'v1', namespace: 'default', resource: 'pods' });
  assert.deepEqual(parseKubePath('/apis/apps/v1/namespaces/ns/deployments/web/status'), {
    group: 'apps',
    version: 'v1',
    namespace: 'ns',
    resource: 'deployments',
    name: 'web',
    subresource: 'status',
  });
  assert.deepEqual(parseKubePath('/api/v1/nodes/n1'), { group: '', version: 'v1', resource: 'nodes', name: 'n1' });
  assert.deepEqual(parseKubePath('/apis/apps/v1/deployments'), { group: 'apps', version: 'v1', resource: 'deployments' });
  assert.deepEqual(parseKubePath('/apis/batch/v1'), { group: 'batch', version: 'v1' });
});

test('parseKubePath: a namespace itself, and its status, are the namespaces resource', () => {
  assert.deepEqual(parseKubePath('/api/v1/namespaces/dev'), { group: '', version: 'v1', resource: 'namespaces', name: 'dev' });
  assert.deepEqual(parseKubePath('/api/v1/namespaces/dev/status'), {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    name: 'dev',
    subresource: 'status',
  });
  assert.deepEqual(parseKubePath('/api/v1/namespaces'), { group: '', version: 'v1', resource: 'namespaces' });
});

test('parseKubePath: paths without a version or with extra segments are NotFound', () => {
  assert.throws(() => parseKubePath('/apis/apps'), /names no API version/);
  assert.throws(() => parseKubePath('/api/v1/nodes/n1/status/extra'), /no such API path/);
  assert.ok(isKubePath('/apis/apps/v1'));
  assert.ok(!isKubePath('/v1/containers'));
  assert.ok(!isKubePath('/apiary'));
});
