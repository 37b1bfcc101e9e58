import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProxiedPort } from './proxied-ports.ts';
import { staleUdpFlows } from './stale-udp-flows.ts';

function dns(backends: string[], overrides: Partial<ProxiedPort> = {}): ProxiedPort {
  return {
    name: 'default/dns',
    protocol: 'udp',
    clusterIP: '10.96.0.53',
    port: 53,
    externalIPs: [],
    backends: backends.map((ip) => ({ ip, port: 53 })),
    ...overrides,
  };
}

test('an endpoint leaving a UDP service: its flows to every service address and the node port are deleted', () => {
  const before = [dns(['10.244.0.2', '10.244.0.3'], { externalIPs: ['192.0.2.9'], nodePort: 30053 })];
  const after = [dns(['10.244.0.3'], { externalIPs: ['192.0.2.9'], nodePort: 30053 })];
  assert.deepEqual(staleUdpFlows(before, after), [
    ['-D', '-p', 'udp', '--orig-dst', '10.96.0.53', '--dst-nat', '10.244.0.2'],
    ['-D', '-p', 'udp', '--orig-dst', '192.0.2.9', '--dst-nat', '10.244.0.2'],
    ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', '10.244.0.2'],
  ]);
});

test('a UDP service getting its first endpoint drops untranslated flows; a deleted service drops its endpoints’ flows', () => {
  assert.deepEqual(staleUdpFlows([dns([])], [dns(['10.244.0.2'])]), [
    ['-D', '-p', 'udp', '--orig-dst', '10.96.0.53'],
  ]);
  assert.deepEqual(staleUdpFlows([], [dns(['10.244.0.2'])]), [
    ['-D', '-p', 'udp', '--orig-dst', '10.96.0.53'],
  ]);
  assert.deepEqual(staleUdpFlows([dns(['10.244.0.2'])], []), [
    ['-D', '-p', 'udp', '--orig-dst', '10.96.0.53', '--dst-nat', '10.244.0.2'],
  ]);
});

test('nothing for unchanged UDP services, added endpoints, or TCP', () => {
  assert.deepEqual(staleUdpFlows([dns(['10.244.0.2'])], [dns(['10.244.0.2', '10.244.0.3'])]), []);
  const tcp = dns(['10.244.0.2'], { protocol: 'tcp' });
  assert.deepEqual(staleUdpFlows([tcp], [{ ...tcp, backends: [] }]), []);
});
