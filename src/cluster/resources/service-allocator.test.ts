import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { ServiceAllocator } from './service-allocator.ts';
import type { Service, ServiceSpec } from './service-schemas.ts';

function svc(uid: string, spec: ServiceSpec = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${uid}`, namespace: 'default', uid },
    spec: { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], ...spec },
  };
}

const nodePortSpec = (nodePort?: number): ServiceSpec => ({
  type: 'NodePort',
  ports: [{ port: 80, protocol: 'TCP', targetPort: 80, ...(nodePort === undefined ? {} : { nodePort }) }],
});

function invalidCause(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isMarinaError(err, 'Invalid'), String(err));
    const [cause] = (err.details?.causes ?? []) as { field: string; message: string }[];
    return `${cause?.field}: ${cause?.message}`;
  }
  assert.fail('allocation passed');
}

test('clusterIPs come from the service range in order, never the network or broadcast address', () => {
  const allocator = new ServiceAllocator({ serviceRange: '10.100.0.0/30' });
  const a = allocator.allocate(svc('a'), undefined);
  const b = allocator.allocate(svc('b'), undefined);
  assert.equal(a.spec?.clusterIP, '10.100.0.1');
  assert.deepEqual(a.spec?.clusterIPs, ['10.100.0.1']);
  assert.equal(b.spec?.clusterIP, '10.100.0.2');
  assert.throws(
    () => allocator.allocate(svc('c'), undefined),
    (err) =>
      isMarinaError(err, 'Conflict') &&
      err.message.includes('no cluster IP left in the service range 10.100.0.0/30'),
  );
  // A freed address is handed out again once the range wraps.
  allocator.settle('a', undefined);
  assert.equal(allocator.allocate(svc('c'), undefined).spec?.clusterIP, '10.100.0.1');
});

test('a requested clusterIP must be in the range and free; a refused one reserves nothing', () => {
  const allocator = new ServiceAllocator();
  assert.equal(
    allocator.allocate(svc('a', { clusterIP: '10.96.0.10' }), undefined).spec?.clusterIP,
    '10.96.0.10',
  );
  assert.equal(
    invalidCause(() => allocator.allocate(svc('b', { clusterIP: '10.96.0.10' }), undefined)),
    'spec.clusterIPs[0]: Invalid value: "10.96.0.10": failed to allocate IP 10.96.0.10: provided IP is already allocated',
  );
  assert.equal(
    invalidCause(() => allocator.allocate(svc('b', { clusterIP: '192.168.1.1' }), undefined)),
    'spec.clusterIPs[0]: Invalid value: "192.168.1.1": failed to allocate IP 192.168.1.1: the provided IP (192.168.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
  );
  // The IP of a NodePort service whose node port is taken is not kept either.
  allocator.allocate(svc('c', nodePortSpec(30080)), undefined);
  assert.match(
    invalidCause(() =>
      allocator.allocate(svc('d', { ...nodePortSpec(30080), clusterIP: '10.96.0.11' }), undefined),
    ),
    /^spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/,
  );
  assert.equal(
    allocator.allocate(svc('e', { clusterIP: '10.96.0.11' }), undefined).spec?.clusterIP,
    '10.96.0.11',
  );
});

test('headless services take no address', () => {
  const allocator = new ServiceAllocator({ serviceRange: '10.100.0.0/30' });
  const headless = allocator.allocate(svc('h', { clusterIP: 'None' }), undefined);
  assert.deepEqual(headless.spec?.clusterIPs, ['None']);
  assert.equal(allocator.allocate(svc('a'), undefined).spec?.clusterIP, '10.100.0.1');
});

test('node ports: allocated from the range, requested ones checked, kept across updates', () => {
  const allocator = new ServiceAllocator({ nodePortRange: { first: 30000, last: 30001 } });
  const a = allocator.allocate(svc('a', nodePortSpec()), undefined);
  assert.equal(a.spec?.ports?.[0]?.nodePort, 30000);
  assert.equal(
    invalidCause(() => allocator.allocate(svc('b', nodePortSpec(29999)), undefined)),
    'spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-30001',
  );
  // An update that leaves the node port out keeps it, and keeps the clusterIP.
  const updated = allocator.allocate(svc('a', nodePortSpec()), a);
  assert.equal(updated.spec?.ports?.[0]?.nodePort, 30000);
  assert.equal(updated.spec?.clusterIP, a.spec?.clusterIP);
  allocator.allocate(svc('b', nodePortSpec()), undefined);
  assert.throws(
    () => allocator.allocate(svc('c', nodePortSpec()), undefined),
    (err) =>
      isMarinaError(err, 'Conflict') && err.message.includes('no node port left in the range 30000-30001'),
  );
});

test('rebuild derives what is taken from the stored services alone', () => {
  const allocator = new ServiceAllocator({ serviceRange: '10.100.0.0/29' });
  allocator.allocate(svc('lost'), undefined); // reserved, never stored (a crash before the write)
  allocator.rebuild([
    svc('a', { clusterIP: '10.100.0.1', clusterIPs: ['10.100.0.1'] }),
    svc('b', { ...nodePortSpec(30005), clusterIP: '10.100.0.3' }),
    svc('h', { clusterIP: 'None' }),
  ]);
  assert.equal(allocator.allocate(svc('c'), undefined).spec?.clusterIP, '10.100.0.2');
  assert.equal(allocator.allocate(svc('d'), undefined).spec?.clusterIP, '10.100.0.4');
  assert.match(
    invalidCause(() => allocator.allocate(svc('e', nodePortSpec(30005)), undefined)),
    /provided port is already allocated/,
  );
});

test('settle frees what an update dropped and keeps what the object holds', () => {
  const allocator = new ServiceAllocator();
  const nodePort = allocator.allocate(svc('a', nodePortSpec(30100)), undefined);
  allocator.settle('a', nodePort);
  // The service becomes ClusterIP: its node port is free for another one.
  allocator.settle('a', svc('a', { clusterIP: nodePort.spec?.clusterIP }));
  assert.equal(
    allocator.allocate(svc('b', nodePortSpec(30100)), undefined).spec?.ports?.[0]?.nodePort,
    30100,
  );
  assert.match(
    invalidCause(() => allocator.allocate(svc('c', { clusterIP: nodePort.spec?.clusterIP }), undefined)),
    /provided IP is already allocated/,
  );
});
