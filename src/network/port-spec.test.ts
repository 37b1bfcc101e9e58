import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { exposedToRequests, parsePortSpec } from './port-spec.ts';

const invalidWith = (fragment: string) => (err: unknown) => isMarinaError(err, 'Invalid') && err.message.includes(fragment);

test('every docker -p form maps to port requests', () => {
  assert.deepEqual(parsePortSpec('80'), [{ protocol: 'tcp', containerPort: 80 }]);
  assert.deepEqual(parsePortSpec('8080:80'), [{ protocol: 'tcp', containerPort: 80, hostPort: 8080 }]);
  assert.deepEqual(parsePortSpec('127.0.0.1:8080:80'), [{ protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080 }]);
  assert.deepEqual(parsePortSpec('127.0.0.1::80'), [{ protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1' }]);
  assert.deepEqual(parsePortSpec('8080:80/udp'), [{ protocol: 'udp', containerPort: 80, hostPort: 8080 }]);
  assert.deepEqual(parsePortSpec('53/UDP'), [{ protocol: 'udp', containerPort: 53 }]);
  assert.deepEqual(parsePortSpec(':80'), [{ protocol: 'tcp', containerPort: 80 }]);
});

test('port ranges expand pairwise; a container range alone gets ephemeral host ports', () => {
  assert.deepEqual(parsePortSpec('8000-8001:80-81'), [
    { protocol: 'tcp', containerPort: 80, hostPort: 8000 },
    { protocol: 'tcp', containerPort: 81, hostPort: 8001 },
  ]);
  assert.deepEqual(parsePortSpec('0.0.0.0::9000-9001/udp'), [
    { protocol: 'udp', containerPort: 9000, hostIp: '0.0.0.0' },
    { protocol: 'udp', containerPort: 9001, hostIp: '0.0.0.0' },
  ]);
});

test('malformed specs are Invalid and say what is wrong', () => {
  const cases: [string, string][] = [
    ['', 'the container port is missing'],
    ['8080:', 'the container port is missing'],
    ['http', '"http" is not a container port number'],
    ['0', 'container port 0 is out of range: use 1 to 65535'],
    ['70000:80', 'host port 70000 is out of range'],
    ['80/sctp', 'unsupported protocol "sctp": use tcp or udp'],
    ['80/tcp/udp', 'expected [hostIP:][hostPort:]containerPort'],
    ['localhost:8080:80', '"localhost" is not an IPv4 host address'],
    ['[::1]:8080:80', 'IPv6 host addresses are not supported yet'],
    ['::1:8080:80', 'IPv6 host addresses are not supported yet'],
    ['8000-8005:80', 'a host port range needs a container port range of the same size'],
    ['8000-8002:80-81', 'the host port range has 3 ports but the container port range has 2'],
    ['81-80', 'the container port range 81-80 ends before it starts'],
    ['1-2-3', '"1-2-3" is not a container port or range'],
  ];
  for (const [spec, fragment] of cases) {
    assert.throws(() => parsePortSpec(spec), invalidWith(`invalid port spec "${spec}": ${fragment}`), spec);
  }
});

test('-P publishes every exposed port on an ephemeral host port', () => {
  assert.deepEqual(exposedToRequests({ '80/tcp': {}, '53/udp': {}, '8080': {} }).toSorted((a, b) => a.containerPort - b.containerPort), [
    { protocol: 'udp', containerPort: 53 },
    { protocol: 'tcp', containerPort: 80 },
    { protocol: 'tcp', containerPort: 8080 },
  ]);
  assert.deepEqual(exposedToRequests(undefined), []);
  assert.throws(() => exposedToRequests({ '132/sctp': {} }), invalidWith('the image exposes "132/sctp"'));
});
