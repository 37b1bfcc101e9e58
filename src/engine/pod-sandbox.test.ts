import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { checkSharedNamespace, containerNetworkMode, networkChoice, type SharedNamespaceRequest } from './etc-files.ts';
import { checkSandboxRequest, planSandboxRestore, sandboxNetnsPrefix } from './pod-sandbox.ts';
import type { SandboxRecord, SandboxStatus } from './sandbox-types.ts';

const prefix = sandboxNetnsPrefix('abc123');

function sandbox(id: string, status: SandboxStatus): SandboxRecord {
  return {
    id,
    name: id,
    created: '2024-01-01T00:00:00Z',
    request: { name: id, network: 'bridge' },
    status,
    error: '',
    netnsName: `${prefix}${id}`,
    netnsPath: `/run/netns/${prefix}${id}`,
    ip: '',
    endpoints: [],
    ports: [],
    etcFiles: { hostname: '', hosts: '', resolvConf: '' },
  };
}

const ids = (records: SandboxRecord[]) => records.map((r) => r.id);

test('restore: kept namespaces stay live, vanished ones are made again, orphans and half-made ones go', () => {
  const records = [
    sandbox('live', 'ready'),
    sandbox('rebooted', 'ready'),
    sandbox('broken', 'broken'),
    sandbox('half-made', 'creating'),
    sandbox('half-removed', 'removing'),
  ];
  const namespaces = [`${prefix}live`, `${prefix}half-made`, `${prefix}orphan`, 'marina-abc123-build-step', `${sandboxNetnsPrefix('def456')}x`];
  const plan = planSandboxRestore(records, namespaces, prefix);
  assert.deepEqual(ids(plan.live), ['live']);
  assert.deepEqual(ids(plan.recreate), ['rebooted', 'broken']);
  assert.deepEqual(ids(plan.teardown), ['half-made', 'half-removed']);
  // Only this daemon's sandbox namespaces: never a build step's or another daemon's.
  assert.deepEqual(plan.deleteNetns, [`${prefix}half-made`, `${prefix}orphan`]);
});

test('restore: a broken sandbox whose namespace is still there is made again from scratch', () => {
  const plan = planSandboxRestore([sandbox('b', 'broken')], [`${prefix}b`], prefix);
  assert.deepEqual(ids(plan.recreate), ['b']);
  assert.deepEqual(plan.deleteNetns, [`${prefix}b`]);
});

test('the sandbox namespace prefix is not under the builder cleanup prefix marina-<tag>-', () => {
  assert.ok(!sandboxNetnsPrefix('abc123').startsWith('marina-abc123-'));
});

test('sandbox requests: id, hostname, dns and extra hosts are checked', () => {
  checkSandboxRequest({ name: 'web-0', id: 'pod_1.a-b', dns: ['10.0.0.2'], extraHosts: ['db:10.0.0.3'] });
  const bad: [object, string][] = [
    [{ name: 'bad name' }, 'name'],
    [{ name: '-x' }, 'name'],
    [{ name: 'x'.repeat(64) }, 'name'],
    [{ name: 'ok', id: '../etc' }, 'id'],
    [{ name: 'ok', dns: ['dns.example'] }, 'dns'],
    [{ name: 'ok', extraHosts: ['nocolon'] }, 'extraHosts'],
  ];
  for (const [request, field] of bad) {
    assert.throws(
      () => checkSandboxRequest(request as { name: string }),
      (e) => isMarinaError(e, 'Invalid') && e.details?.field === field,
      JSON.stringify(request),
    );
  }
});

test('network modes: container:NAME and a sandbox', () => {
  assert.deepEqual(networkChoice('container:web'), { kind: 'container', container: 'web' });
  assert.deepEqual(networkChoice(undefined, 'pod1'), { kind: 'sandbox', sandbox: 'pod1' });
  assert.equal(containerNetworkMode('abc'), 'container:abc');
  assert.throws(() => networkChoice('container:'), (e) => isMarinaError(e, 'Invalid'));
});

test('container: mode refuses what belongs to the owner, in Docker words', () => {
  const choice = networkChoice('container:web');
  checkSharedNamespace(choice, { networkMode: 'container:web' });
  const cases: [SharedNamespaceRequest, RegExp][] = [
    [{ hostname: 'h' }, /^conflicting options: hostname and the network mode$/],
    [{ dns: ['1.1.1.1'] }, /^conflicting options: dns and the network mode$/],
    [{ extraHosts: ['a:1.2.3.4'] }, /custom host-to-IP mapping/],
    [{ ports: [{}] }, /port publishing and the container type network mode/],
    [{ publishAll: true }, /port publishing/],
    [{ exposedPorts: ['80/tcp'] }, /port exposing/],
    [{ networkAliases: ['a'] }, /alias is supported only for containers in user defined networks/],
  ];
  for (const [request, message] of cases) {
    assert.throws(() => checkSharedNamespace(choice, request), (e) => isMarinaError(e, 'Invalid') && message.test(e.message));
  }
});

test('a sandbox container refuses a network mode, ports and aliases of its own', () => {
  const choice = networkChoice(undefined, 'pod1');
  checkSharedNamespace(choice, { exposedPorts: ['80/tcp'] });
  const cases: [SharedNamespaceRequest, string][] = [
    [{ networkMode: 'bridge' }, 'networkMode'],
    [{ ports: [{}] }, 'ports'],
    [{ networkAliases: ['a'] }, 'networkAliases'],
    [{ hostname: 'x' }, 'hostname'],
    [{ dns: ['1.1.1.1'] }, 'dns'],
  ];
  for (const [request, field] of cases) {
    assert.throws(
      () => checkSharedNamespace(choice, request),
      (e) => isMarinaError(e, 'Invalid') && e.details?.field === field && e.message.includes('sandbox pod1'),
    );
  }
  // Other modes are not concerned.
  checkSharedNamespace(networkChoice('bridge'), { hostname: 'x', ports: [{}] });
});
