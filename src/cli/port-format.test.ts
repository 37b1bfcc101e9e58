import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PortBinding } from '../network/network-types.ts';
import { hostAddressesOf, parsePrivatePort, portLines, psPorts } from './port-format.ts';

const tcp = (containerPort: number, hostPort: number, hostIp = '0.0.0.0'): PortBinding => ({
  protocol: 'tcp',
  containerPort,
  hostIp,
  hostPort,
});
const udp = (containerPort: number, hostPort: number): PortBinding => ({
  ...tcp(containerPort, hostPort),
  protocol: 'udp',
});

test('port lines: one per binding, in container port order, as docker port prints them', () => {
  assert.deepEqual(portLines([tcp(443, 8443), udp(53, 5353), tcp(80, 8080, '127.0.0.1')]), [
    '53/udp -> 0.0.0.0:5353',
    '80/tcp -> 127.0.0.1:8080',
    '443/tcp -> 0.0.0.0:8443',
  ]);
  assert.deepEqual(portLines([]), []);
});

test('a private port selects its host addresses; tcp is the default protocol', () => {
  const bindings = [tcp(80, 8080), udp(80, 9090), tcp(80, 8081, '127.0.0.1')];
  assert.deepEqual(hostAddressesOf(bindings, parsePrivatePort('80')!), ['0.0.0.0:8080', '127.0.0.1:8081']);
  assert.deepEqual(hostAddressesOf(bindings, parsePrivatePort('80/udp')!), ['0.0.0.0:9090']);
  assert.deepEqual(hostAddressesOf(bindings, parsePrivatePort('81/tcp')!), []);
  for (const bad of ['', 'http', '80/sctp', '0', '70000', '80/'])
    assert.equal(parsePrivatePort(bad), undefined, bad);
});

test('ps column: host->container/proto, consecutive runs collapsed into ranges', () => {
  assert.equal(psPorts([]), '');
  assert.equal(psPorts([tcp(80, 8080)]), '0.0.0.0:8080->80/tcp');
  assert.equal(
    psPorts([tcp(82, 8002), tcp(80, 8000), tcp(81, 8001), udp(53, 53), tcp(443, 8443)]),
    '0.0.0.0:53->53/udp, 0.0.0.0:8000-8002->80-82/tcp, 0.0.0.0:8443->443/tcp',
  );
  // Consecutive container ports whose host ports are not consecutive stay apart.
  assert.equal(psPorts([tcp(80, 8080), tcp(81, 9000)]), '0.0.0.0:8080->80/tcp, 0.0.0.0:9000->81/tcp');
  assert.equal(
    psPorts([tcp(80, 8080, '127.0.0.1'), tcp(81, 8081)]),
    '127.0.0.1:8080->80/tcp, 0.0.0.0:8081->81/tcp',
  );
});
