import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindLabel, objectRef, parseTargets, singleTarget } from './cluster-targets.ts';

test('kinds by short, singular and plural names; KIND,KIND and KIND/NAME forms', () => {
  const many = parseTargets(['deploy,po,rs,cj,cm,ns,no,ev']);
  assert.deepEqual(many.map((t) => t.kind.kind), ['Deployment', 'Pod', 'ReplicaSet', 'CronJob', 'ConfigMap', 'Namespace', 'Node', 'Event']);
  assert.deepEqual(parseTargets(['Deployments', 'web', 'api']).map((t) => [t.kind.kind, t.names]), [['Deployment', ['web', 'api']]]);
  assert.deepEqual(parseTargets(['deploy/web', 'po/x', 'deployment/api']).map((t) => [t.kind.kind, t.names]), [
    ['Deployment', ['web', 'api']],
    ['Pod', ['x']],
  ]);
  assert.throws(() => parseTargets(['widgets']), /unknown resource type "widgets"/);
  // Endpoints are kept only as EndpointSlices: the CLI's endpoints and ep list those.
  assert.deepEqual(parseTargets(['svc,endpoints,ep']).map((t) => t.kind.kind), ['Service', 'EndpointSlice']);
  assert.throws(() => parseTargets(['deploy,po', 'web']), /KIND\/NAME/);
  assert.throws(() => parseTargets(['deploy/web', 'api']), /KIND\/NAME/);
  assert.throws(() => parseTargets([]), /name a resource type/);
});

test('objects are named as kubectl names them; single targets check the kind', () => {
  const [deploy, lease] = parseTargets(['deploy,leases']);
  assert.equal(objectRef(deploy!.kind, 'web'), 'deployment.apps/web');
  assert.equal(kindLabel(lease!.kind), 'lease.coordination.k8s.io');
  assert.equal(objectRef(parseTargets(['po'])[0]!.kind, 'p'), 'pod/p');
  assert.equal(singleTarget(['deploy/web'], ['Deployment']).name, 'web');
  assert.equal(singleTarget(['rs', 'web-1'], ['Deployment', 'ReplicaSet']).kind.kind, 'ReplicaSet');
  assert.throws(() => singleTarget(['po/web'], ['Deployment']), /pods are not supported here/);
  assert.throws(() => singleTarget(['deploy/'], ['Deployment']), /not KIND\/NAME/);
});
