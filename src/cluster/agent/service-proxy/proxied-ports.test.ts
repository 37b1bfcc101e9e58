import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proxiedPorts } from './proxied-ports.ts';
import { readyEndpoint, StaticServiceView, testService, testSlice } from './test-services.ts';

const web = testService('web', {
  type: 'ClusterIP',
  clusterIP: '10.96.0.10',
  ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' }],
});

test('endpoints in rotation: ready ones only, unset ready counts as ready, sorted and deduplicated', () => {
  const view = new StaticServiceView(
    [web],
    [
      testSlice(
        'web',
        [
          readyEndpoint('10.244.0.10'),
          readyEndpoint('10.244.0.9'),
          readyEndpoint('10.244.0.11', { ready: false, serving: true, terminating: true }),
          readyEndpoint('10.244.0.12', { ready: false, serving: false }),
          { addresses: ['10.244.0.13'] },
        ],
        [{ name: 'http', protocol: 'TCP', port: 8080 }],
      ),
      testSlice(
        'web',
        [readyEndpoint('10.244.0.9')],
        [{ name: 'http', protocol: 'TCP', port: 8080 }],
        'web-dup',
      ),
    ],
  );
  const [port] = proxiedPorts(view);
  assert.equal(port?.name, 'default/web:http');
  assert.deepEqual(port?.backends, [
    { ip: '10.244.0.9', port: 8080 },
    { ip: '10.244.0.10', port: 8080 },
    { ip: '10.244.0.13', port: 8080 },
  ]);
});

test('a named targetPort resolves per slice: pods that declare it differently listen on different ports', () => {
  const view = new StaticServiceView(
    [web],
    [
      testSlice(
        'web',
        [readyEndpoint('10.244.0.2')],
        [{ name: 'http', protocol: 'TCP', port: 8080 }],
        'web-a',
      ),
      testSlice(
        'web',
        [readyEndpoint('10.244.0.3')],
        [{ name: 'http', protocol: 'TCP', port: 9090 }],
        'web-b',
      ),
      // A slice whose pods lack the port (the controller could not resolve it) serves nothing here.
      testSlice('web', [readyEndpoint('10.244.0.4')], [], 'web-c'),
    ],
  );
  assert.deepEqual(proxiedPorts(view)[0]?.backends, [
    { ip: '10.244.0.2', port: 8080 },
    { ip: '10.244.0.3', port: 9090 },
  ]);
});

test('publishNotReadyAddresses puts serving endpoints in rotation even when not ready', () => {
  const service = { ...web, spec: { ...web.spec, publishNotReadyAddresses: true } };
  const view = new StaticServiceView(
    [service],
    [
      testSlice(
        'web',
        [
          readyEndpoint('10.244.0.2', { ready: false, serving: true }),
          readyEndpoint('10.244.0.3', { ready: false, serving: false }),
        ],
        [{ name: 'http', protocol: 'TCP', port: 8080 }],
      ),
    ],
  );
  assert.deepEqual(proxiedPorts(view)[0]?.backends, [{ ip: '10.244.0.2', port: 8080 }]);
});

test('headless Services and unhandled protocols get nothing; NodePort only for NodePort types; affinity timeout', () => {
  const view = new StaticServiceView([
    testService('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
    testService('sctp', { clusterIP: '10.96.0.3', ports: [{ port: 80, protocol: 'SCTP' }] }),
    testService('plain', {
      type: 'ClusterIP',
      clusterIP: '10.96.0.4',
      ports: [{ port: 53, protocol: 'UDP', nodePort: 30053 }],
    }),
    testService('np', {
      type: 'NodePort',
      clusterIP: '10.96.0.5',
      externalIPs: ['192.0.2.9', 'not-an-ip', '192.0.2.9'],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      ports: [{ port: 80, nodePort: 30080 }],
    }),
  ]);
  const ports = proxiedPorts(view);
  assert.deepEqual(
    ports.map((p) => p.name),
    ['default/np', 'default/plain'],
  );
  assert.deepEqual(ports[0], {
    name: 'default/np',
    protocol: 'tcp',
    clusterIP: '10.96.0.5',
    port: 80,
    nodePort: 30080,
    externalIPs: ['192.0.2.9'],
    affinitySeconds: 60,
    backends: [],
  });
  assert.equal(ports[1]?.protocol, 'udp');
  assert.equal(ports[1]?.nodePort, undefined);
});
