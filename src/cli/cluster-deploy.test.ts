import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { deployManifests } from './cluster-deploy.ts';

test('deploy without a port writes only the Deployment, its pods labelled and selected by app=NAME', () => {
  const [deployment, ...rest] = deployManifests('nginx', { name: 'web', replicas: '3', env: ['A=1'] });
  assert.deepEqual(rest, []);
  assert.deepEqual(deployment, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }] }] } },
    },
  });
});

test('deploy --port declares the container port and adds a ClusterIP Service of the same name and port', () => {
  const [deployment, service] = deployManifests('nginx', { name: 'web', port: '8080', env: [] });
  const container = (deployment as { spec: { template: { spec: { containers: { ports: unknown }[] } } } }).spec.template.spec.containers[0];
  assert.deepEqual(container?.ports, [{ containerPort: 8080, protocol: 'TCP' }]);
  assert.deepEqual(service, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] },
  });
});

test('a bad port or replica count is refused before anything is written', () => {
  for (const flags of [
    { name: 'web', port: '0', env: [] },
    { name: 'web', port: '70000', env: [] },
    { name: 'web', port: 'http', env: [] },
    { name: 'web', replicas: '-1', env: [] },
  ]) {
    assert.throws(() => deployManifests('nginx', flags), (err) => isMarinaError(err, 'Invalid'));
  }
});
