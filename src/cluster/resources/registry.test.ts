import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import {
  applyDefaults,
  kindByName,
  kindCatalog,
  kindForResource,
  kindOf,
  parseResource,
  resourceKinds,
  unsupportedFields,
  validate,
} from './registry.ts';

test('every kind of the brief is served under its Kubernetes coordinates', () => {
  const served = resourceKinds.map(
    (k) => `${k.apiVersion} ${k.kind} ${k.plural} ${k.namespaced ? 'namespaced' : 'cluster'}`,
  );
  assert.deepEqual(served, [
    'v1 Namespace namespaces cluster',
    'v1 Pod pods namespaced',
    'v1 ConfigMap configmaps namespaced',
    'v1 Secret secrets namespaced',
    'v1 Event events namespaced',
    'v1 Node nodes cluster',
    'v1 Service services namespaced',
    'apps/v1 Deployment deployments namespaced',
    'apps/v1 ReplicaSet replicasets namespaced',
    'batch/v1 Job jobs namespaced',
    'batch/v1 CronJob cronjobs namespaced',
    'coordination.k8s.io/v1 Lease leases namespaced',
    'discovery.k8s.io/v1 EndpointSlice endpointslices namespaced',
  ]);
  assert.equal(kindOf('apps/v1', 'Deployment').qualifiedKind, 'Deployment.apps');
  assert.equal(kindOf('v1', 'Pod').hasStatus, true);
  assert.equal(kindOf('v1', 'ConfigMap').hasStatus, false);
  assert.ok(kindOf('v1', 'Pod').selectableFields.includes('spec.nodeName'));
  assert.ok(kindOf('v1', 'Pod').selectableFields.includes('metadata.name'));
});

test('lookups by URL coordinates and by the names users type', () => {
  assert.equal(kindForResource('batch', 'v1', 'cronjobs').kind, 'CronJob');
  assert.equal(kindForResource('', 'v1', 'pods').kind, 'Pod');
  assert.equal(kindCatalog.byResource('apps', 'v1', 'replicasets')?.kind, 'ReplicaSet');
  assert.equal(kindCatalog.byResource('apps', 'v1', 'statefulsets'), undefined);
  for (const name of ['deploy', 'deployment', 'deployments', 'Deployment'])
    assert.equal(kindByName(name).kind, 'Deployment');
  assert.equal(kindByName('po').kind, 'Pod');
  assert.equal(kindByName('cj').kind, 'CronJob');
});

test('unknown kinds are refused naming the supported ones', () => {
  assert.throws(
    () => kindOf('apps/v1', 'StatefulSet'),
    (err) =>
      isMarinaError(err, 'Invalid') &&
      err.message.includes('"StatefulSet"') &&
      err.message.includes('Deployment (apps/v1)'),
  );
  assert.throws(
    () => kindOf('v2', 'Pod'),
    (err) => isMarinaError(err, 'Invalid'),
  );
  assert.throws(
    () => kindForResource('apps', 'v1', 'statefulsets'),
    (err) => isMarinaError(err, 'NotFound') && err.message.includes('CronJob (batch/v1)'),
  );
  assert.throws(
    () => kindByName('sts'),
    (err) => isMarinaError(err, 'Invalid'),
  );
  assert.throws(
    () => parseResource({ kind: 'Pod' }),
    (err) => isMarinaError(err, 'Invalid') && /apiVersion and a kind/.test(err.message),
  );
});

test('applyDefaults and validate dispatch on the object kind and leave the argument alone', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' } as { name: string; namespace?: string },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
  const before = structuredClone(pod);
  const defaulted = applyDefaults(pod);
  assert.deepEqual(pod, before);
  assert.equal(defaulted.metadata.namespace, 'default');
  assert.equal((defaulted as typeof pod & { spec: { restartPolicy: string } }).spec.restartPolicy, 'Always');
  // `busybox` has no tag, so it may change under the same name: Always pull.
  assert.equal((defaulted.spec.containers[0] as { imagePullPolicy?: string }).imagePullPolicy, 'Always');
  assert.deepEqual(validate(defaulted), []);
  assert.deepEqual(
    validate(pod).map((e) => e.path),
    ['metadata.namespace', 'spec.restartPolicy'],
  );
});

test('parseResource strips unknown fields and names them; nulls are unset fields', () => {
  const manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', creationTimestamp: null, labelz: { a: 'b' } },
    data: { 'app.conf': 'x=1' },
    dta: {},
  };
  const { object, warnings } = parseResource(manifest);
  assert.deepEqual(object, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg' },
    data: { 'app.conf': 'x=1' },
  });
  assert.deepEqual(warnings, ['unknown field "metadata.labelz"', 'unknown field "dta"']);
  assert.deepEqual(unsupportedFields(kindOf('v1', 'ConfigMap'), manifest), ['metadata.labelz', 'dta']);
});

test('unknown fields are found inside arrays, maps and int-or-string unions', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      strategy: { rollingUpdate: { maxSurge: '50%', maxSurges: 1 } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: {
          containers: [
            { name: 'a', image: 'x' },
            {
              name: 'b',
              image: 'y',
              resources: { limits: { cpu: 1 }, claims: [] },
              ports: [{ containerPort: 1, appProtocol: 'h2c' }],
            },
          ],
        },
      },
    },
  };
  assert.deepEqual(unsupportedFields(kindOf('apps/v1', 'Deployment'), deployment), [
    'spec.strategy.rollingUpdate.maxSurges',
    'spec.template.spec.containers[1].resources.claims',
    'spec.template.spec.containers[1].ports[0].appProtocol',
  ]);
});
