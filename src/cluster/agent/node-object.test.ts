import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type HostFacts,
  kubernetesArch,
  leaseSpec,
  nodeLabels,
  nodeStatus,
  nodeStatusDue,
} from './node-object.ts';

const facts: HostFacts = {
  hostname: 'box',
  cpus: 8,
  memoryBytes: 16 * 1024 ** 3,
  arch: 'x64',
  kernel: '6.1.0',
  osImage: 'Debian GNU/Linux 12',
  hostIP: '10.88.0.1',
  version: '0.1.0',
};

test('the node reports the host: capacity (110 pods), labels, Ready, addresses and versions', () => {
  assert.deepEqual(nodeLabels('n1', facts), {
    'kubernetes.io/hostname': 'n1',
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
  });
  const status = nodeStatus(facts, undefined, '2030-01-01T00:00:00Z');
  assert.deepEqual(status.capacity, { cpu: '8', memory: `${16 * 1024 * 1024}Ki`, pods: '110' });
  assert.deepEqual(status.allocatable, status.capacity);
  assert.deepEqual(status.addresses, [
    { type: 'InternalIP', address: '10.88.0.1' },
    { type: 'Hostname', address: 'box' },
  ]);
  assert.equal(status.nodeInfo?.containerRuntimeVersion, 'marina://0.1.0');
  assert.equal(status.nodeInfo?.kubeletVersion, '0.1.0');
  const ready = status.conditions?.[0];
  assert.equal(ready?.status, 'True');
  assert.equal(ready?.lastHeartbeatTime, '2030-01-01T00:00:00Z');
});

test('Ready keeps its transition time while it stays True; other conditions are kept', () => {
  const first = nodeStatus(facts, undefined, '2030-01-01T00:00:00Z');
  const previous = {
    ...first,
    conditions: [...(first.conditions ?? []), { type: 'MemoryPressure', status: 'False' }],
  };
  const later = nodeStatus(facts, previous, '2030-01-01T00:01:00Z');
  assert.equal(later.conditions?.[0]?.lastTransitionTime, '2030-01-01T00:00:00Z');
  assert.equal(later.conditions?.[0]?.lastHeartbeatTime, '2030-01-01T00:01:00Z');
  assert.equal(later.conditions?.[1]?.type, 'MemoryPressure');
  const recovered = nodeStatus(
    facts,
    { conditions: [{ type: 'Ready', status: 'Unknown', lastTransitionTime: '2030-01-01T00:00:30Z' }] },
    '2030-01-01T00:02:00Z',
  );
  assert.equal(recovered.conditions?.[0]?.lastTransitionTime, '2030-01-01T00:02:00Z');
});

test('the status is due when not Ready or when the heartbeat is old', () => {
  const status = nodeStatus(facts, undefined, '2030-01-01T00:00:00Z');
  const at = (iso: string) => Date.parse(iso);
  assert.equal(nodeStatusDue(status, at('2030-01-01T00:00:30Z'), 60_000), false);
  assert.equal(nodeStatusDue(status, at('2030-01-01T00:01:00Z'), 60_000), true);
  assert.equal(
    nodeStatusDue({ conditions: [{ type: 'Ready', status: 'Unknown' }] }, at('2030-01-01T00:00:01Z'), 60_000),
    true,
  );
  assert.equal(nodeStatusDue(undefined, 0, 60_000), true);
});

test('the lease is renewed by its holder, and counts a transition when another held it', () => {
  const first = leaseSpec('n1', undefined, 40, 't0');
  assert.deepEqual(first, {
    holderIdentity: 'n1',
    leaseDurationSeconds: 40,
    acquireTime: 't0',
    renewTime: 't0',
    leaseTransitions: 0,
  });
  assert.deepEqual(leaseSpec('n1', first, 40, 't1'), { ...first, renewTime: 't1' });
  assert.equal(leaseSpec('n1', { ...first, holderIdentity: 'other' }, 40, 't2').leaseTransitions, 1);
  assert.equal(kubernetesArch('aarch64'), 'arm64');
});
