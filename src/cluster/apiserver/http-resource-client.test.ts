import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { kindByName } from '../resources/registry.ts';
import type { KubeObject } from './api-kind.ts';
import { endpointOf, errorOfStatus, filtered, kubePathOf, warningText } from './http-resource-client.ts';
import { compileSelectors } from './object-filter.ts';
import type { ObjectEvent } from './resource-service.ts';

test("Kubernetes' paths for core, grouped, namespaced and cluster-scoped kinds", () => {
  assert.equal(kubePathOf(kindByName('deploy'), 'default', 'web', 'status'), '/apis/apps/v1/namespaces/default/deployments/web/status');
  assert.equal(kubePathOf(kindByName('pods'), undefined), '/api/v1/pods');
  assert.equal(kubePathOf(kindByName('nodes'), 'default', 'n 1'), '/api/v1/nodes/n%201');
  assert.deepEqual(endpointOf('unix:///run/m.sock'), { socketPath: '/run/m.sock' });
  assert.deepEqual(endpointOf('http://10.0.0.1:6443'), { host: '10.0.0.1', port: 6443 });
  assert.throws(() => endpointOf('tcp://x'), /unix:\/\/\/path or http:\/\/host:port/);
});

test('Status bodies become MarinaErrors with the matching code, the reason kept', () => {
  const status = (code: number, reason: string) => JSON.stringify({ kind: 'Status', status: 'Failure', message: `m ${reason}`, reason, code });
  const exists = errorOfStatus(409, status(409, 'AlreadyExists'));
  assert.ok(isMarinaError(exists, 'Conflict'));
  assert.equal(exists.details?.reason, 'AlreadyExists');
  assert.equal(exists.message, 'm AlreadyExists');
  assert.ok(isMarinaError(errorOfStatus(422, status(422, 'Invalid')), 'Invalid'));
  assert.ok(isMarinaError(errorOfStatus(404, status(404, 'NotFound')), 'NotFound'));
  assert.ok(isMarinaError(errorOfStatus(410, status(410, 'Expired')), 'Expired'));
  assert.ok(isMarinaError(errorOfStatus(405, status(405, 'MethodNotAllowed')), 'Unsupported'));
  const plain = errorOfStatus(503, 'upstream down');
  assert.ok(isMarinaError(plain, 'Unavailable'));
  assert.match(plain.message, /503: upstream down/);
});

test('Warning headers lose their code and agent', () => {
  assert.equal(warningText('299 - "unknown field \\"spec.replicaz\\""'), 'unknown field "spec.replicaz"');
  assert.equal(warningText('not a warning header'), 'not a warning header');
});

test('a function filter on a watch: non-matching events dropped, an object that stops matching is DELETED', () => {
  const object = (uid: string, app: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { uid, name: uid, labels: { app } } });
  const keep = compileSelectors(kindByName('pods'), { labelSelector: 'app=web' })!;
  const seen = new Set<string>();
  const run = (event: ObjectEvent) => filtered(event, keep, seen)?.type;
  assert.equal(run({ type: 'ADDED', object: object('a', 'web') }), 'ADDED');
  assert.equal(run({ type: 'ADDED', object: object('b', 'db') }), undefined);
  assert.equal(run({ type: 'MODIFIED', object: object('a', 'db') }), 'DELETED');
  assert.equal(run({ type: 'MODIFIED', object: object('a', 'db') }), undefined);
  assert.equal(run({ type: 'MODIFIED', object: object('b', 'web') }), 'MODIFIED');
  assert.equal(run({ type: 'DELETED', object: object('b', 'db') }), 'DELETED');
  assert.equal(seen.size, 0);
});

test('selectors compile with the kind’s field list; a field it cannot select is Invalid', () => {
  assert.equal(compileSelectors(kindByName('pods'), { labelSelector: '', fieldSelector: '' }), undefined);
  const onNode = compileSelectors(kindByName('pods'), { fieldSelector: 'spec.nodeName=n1' })!;
  assert.equal(onNode({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { nodeName: 'n1' } }), true);
  assert.throws(() => compileSelectors(kindByName('deploy'), { fieldSelector: 'spec.replicas=1' }), (err) => isMarinaError(err, 'Invalid'));
});
