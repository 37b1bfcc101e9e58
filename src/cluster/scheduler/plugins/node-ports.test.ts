import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, pod, runFilter, snapshotOf } from '../test-objects.ts';
import { nodePorts } from './node-ports.ts';

const taken = "node(s) didn't have free ports for the requested pod ports";

test('a host port is free per protocol and address, and 0.0.0.0 takes every address', () => {
  const snapshot = snapshotOf(
    [node('wild'), node('pinned'), node('udp'), node('empty')],
    [
      [pod('a', { hostPorts: [{ containerPort: 80, hostPort: 8080 }] }), 'wild'],
      [pod('b', { hostPorts: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }] }), 'pinned'],
      [pod('c', { hostPorts: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] }), 'udp'],
    ],
  );
  const anyAddress = pod('p', { hostPorts: [{ containerPort: 80, hostPort: 8080 }] });
  assert.deepEqual(runFilter(nodePorts, anyAddress, snapshot), {
    wild: taken,
    pinned: taken,
    udp: 'fits',
    empty: 'fits',
  });
  const otherAddress = pod('p', { hostPorts: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.2' }] });
  assert.deepEqual(runFilter(nodePorts, otherAddress, snapshot), {
    wild: taken,
    pinned: 'fits',
    udp: 'fits',
    empty: 'fits',
  });
});

test('removing a pod frees its port; pods without host ports skip the filter', () => {
  const holder = pod('a', { hostPorts: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] });
  const snapshot = snapshotOf([node('n')], [[holder, 'n']]);
  const wants = pod('p', { hostPorts: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] });
  assert.deepEqual(runFilter(nodePorts, wants, snapshot), { n: taken });
  snapshot.removePod(holder);
  assert.deepEqual(runFilter(nodePorts, wants, snapshot), { n: 'fits' });
  assert.deepEqual(runFilter(nodePorts, pod('q', { hostPorts: [{ containerPort: 80 }] }), snapshot), {
    n: 'skipped',
  });
});
