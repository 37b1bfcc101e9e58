import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigMap, Secret } from '../resources/core-schemas.ts';
import {
  envList,
  expandReferences,
  type EnvObjects,
  referencedObjects,
  resolveEnv,
} from './container-env.ts';
import { testContainer, testPod } from './test-pods.ts';

const base64 = (text: string) => Buffer.from(text).toString('base64');
const objects = (
  maps: Record<string, Record<string, string>>,
  secrets: Record<string, Record<string, string>> = {},
): EnvObjects => ({
  configMap: (name) =>
    maps[name]
      ? ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: maps[name] } as ConfigMap)
      : undefined,
  secret: (name) =>
    secrets[name]
      ? ({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name },
          data: Object.fromEntries(Object.entries(secrets[name]).map(([k, v]) => [k, base64(v)])),
        } as Secret)
      : undefined,
});
const fields = { podIP: '10.0.0.5', hostIP: '10.0.0.1' };

function envOf(result: ReturnType<typeof resolveEnv>): string[] {
  assert.ok(result.ok, result.ok ? '' : result.message);
  return envList(result.env);
}

test('envFrom comes first with its prefix, env entries after, and a later name replaces an earlier one', () => {
  const container = testContainer({
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
    env: [
      { name: 'CFG_color', value: 'red' },
      { name: 'LITERAL', value: 'x' },
    ],
  });
  const env = envOf(
    resolveEnv(
      container,
      testPod(),
      objects({ cfg: { color: 'blue', size: 'L' } }, { creds: { password: 'pw' } }),
      fields,
    ),
  );
  assert.deepEqual(env, ['CFG_color=red', 'CFG_size=L', 'password=pw', 'LITERAL=x']);
});

test('valueFrom reads ConfigMap and Secret keys (secrets decoded) and the downward API fields', () => {
  const container = testContainer({
    env: [
      { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
    ],
  });
  const pod = testPod({}, { labels: { app: 'shop' } });
  const env = envOf(
    resolveEnv(
      container,
      pod,
      objects({ cfg: { color: 'blue' } }, { creds: { password: 's3cret' } }),
      fields,
    ),
  );
  assert.deepEqual(env, [
    'COLOR=blue',
    'PASS=s3cret',
    'NAME=web',
    'NS=default',
    'IP=10.0.0.5',
    'NODE=node-1',
    'APP=shop',
  ]);
});

test('a missing required source is a config error naming it; optional ones are skipped', () => {
  const missingMap = resolveEnv(
    testContainer({ envFrom: [{ configMapRef: { name: 'nope' } }] }),
    testPod(),
    objects({}),
    fields,
  );
  assert.deepEqual(missingMap, { ok: false, message: 'configmap "nope" not found' });
  const missingKey = resolveEnv(
    testContainer({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }),
    testPod(),
    objects({ cfg: {} }),
    fields,
  );
  assert.equal(missingKey.ok, false);
  assert.match(missingKey.ok ? '' : missingKey.message, /key "k" not found in configmap "cfg"/);
  const optional = resolveEnv(
    testContainer({
      envFrom: [{ secretRef: { name: 'nope', optional: true } }],
      env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } }],
    }),
    testPod(),
    objects({}),
    fields,
  );
  assert.deepEqual(envOf(optional), []);
});

test('$(VAR) expands to variables defined before; unknown ones stay and $$ escapes', () => {
  const env = new Map([['A', 'one']]);
  assert.equal(expandReferences('$(A)-$(B)-$$(A)-$$', env), 'one-$(B)-$(A)-$');
  const container = testContainer({
    env: [
      { name: 'X', value: 'x' },
      { name: 'Y', value: '$(X)y' },
    ],
  });
  assert.deepEqual(envOf(resolveEnv(container, testPod(), objects({}), fields)), ['X=x', 'Y=xy']);
});

test('referencedObjects collects the ConfigMaps and Secrets of env, envFrom and volumes', () => {
  const pod = testPod({
    initContainers: [testContainer({ name: 'init', envFrom: [{ secretRef: { name: 's1' } }] })],
    containers: [
      testContainer({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c1', key: 'k' } } }] }),
    ],
    volumes: [
      { name: 'v', configMap: { name: 'c2' } },
      { name: 'w', secret: { secretName: 's1' } },
    ],
  });
  assert.deepEqual(referencedObjects(pod), { configMaps: ['c1', 'c2'], secrets: ['s1'] });
});
