import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { checkManifests, splitManifest } from './cluster-manifests.ts';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: busybox}]}
`;
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: other}\ndata: {a: "1"}\n';

test('YAML documents, JSON and Lists split into objects; empty documents are skipped', () => {
  const docs = splitManifest('m.yaml', `---\n${deployment}---\n---\n${configMap}`);
  assert.deepEqual(docs.map((d) => (d.object as { kind: string }).kind), ['Deployment', 'ConfigMap']);
  assert.match(docs[1]!.source, /m\.yaml \(document 3\)/);
  const json = splitManifest('l.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'ConfigMap' }, { kind: 'Secret' }] }));
  assert.deepEqual(json.map((d) => (d.object as { kind: string }).kind), ['ConfigMap', 'Secret']);
  assert.throws(() => splitManifest('bad.yaml', 'a: [1,\n'), (err) => isMarinaError(err, 'Invalid') && /bad\.yaml/.test(err.message));
  assert.throws(() => splitManifest('s.yaml', '- 1\n- 2\n'), /must be an object/);
});

test('checking resolves kinds and namespaces (the object’s own wins) and admits dry', () => {
  const [web, cfg] = checkManifests(splitManifest('m.yaml', `${deployment}---\n${configMap}`), 'team');
  assert.equal(web!.kind.kind, 'Deployment');
  assert.equal(web!.namespace, 'team');
  assert.equal(web!.body.metadata.namespace, 'team');
  assert.equal((web!.admitted.spec as { revisionHistoryLimit: number }).revisionHistoryLimit, 10, 'defaults applied');
  assert.equal(cfg!.namespace, 'other');
  const [ns] = checkManifests(splitManifest('n.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n'), 'team');
  assert.equal(ns!.namespace, undefined);
});

test('one bad document fails the whole set, naming every problem', () => {
  const negative = deployment.replace('replicas: 2', 'replicas: -1');
  const unknown = 'apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n';
  assert.throws(
    () => checkManifests(splitManifest('m.yaml', `${configMap}---\n${negative}---\n${unknown}---\nkind: ConfigMap\n`), 'default'),
    (err) =>
      isMarinaError(err, 'Invalid') &&
      /nothing was applied/.test(err.message) &&
      /document 2\): .*spec\.replicas/.test(err.message) &&
      /Widget/.test(err.message) &&
      /apiVersion and kind are required/.test(err.message) &&
      !/document 1\)/.test(err.message),
  );
  assert.throws(() => checkManifests(splitManifest('x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'), 'default'), /metadata\.name: Required/);
});
