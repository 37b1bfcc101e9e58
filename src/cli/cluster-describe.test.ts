import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '../cluster/resources/core-schemas.ts';
import { describeObject } from './cluster-describe.ts';

const now = Date.parse('2025-01-01T12:00:00Z');

test('a secret is described by the sizes of its values, never the values; events are listed oldest first', () => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default', labels: { b: '2', a: '1' } }, type: 'Opaque', data: { password: 'aHVudGVyMg==' } };
  const event = (reason: string, at: string): Event => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: reason }, involvedObject: {}, type: 'Normal', reason, message: reason.toLowerCase(), lastTimestamp: at });
  const text = describeObject(secret, [event('Second', '2025-01-01T11:59:50Z'), event('First', '2025-01-01T11:00:00Z')], now);
  assert.match(text, /^Labels:\s+a=1\n\s+b=2$/m);
  assert.match(text, /^ {2}password:\s+7 bytes$/m);
  assert.doesNotMatch(text, /aHVudGVyMg|hunter2/);
  assert.match(text, /First\s+60m\s+first[\s\S]*Second\s+10s\s+second/);
});

test('kinds without a layout show their fields as YAML; no events is <none>', () => {
  const text = describeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } }, [], now);
  assert.match(text, /^data:\n {2}k: v$/m);
  assert.match(text, /^Events:\s+<none>$/m);
});

test('a Service is described with its IP, each port with target, node port and ready endpoints from its slices', () => {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      type: 'NodePort',
      clusterIP: '10.96.0.7',
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP', nodePort: 30080 },
        { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP', nodePort: 30053 },
      ],
    },
  };
  const endpoint = (ip: string, ready: boolean) => ({ addresses: [ip], conditions: { ready } });
  const slice = {
    apiVersion: 'discovery.k8s.io/v1' as const,
    kind: 'EndpointSlice' as const,
    metadata: { name: 'web-x' },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [endpoint('10.1.0.2', true), endpoint('10.1.0.3', false), endpoint('10.1.0.4', true)],
  };
  const text = describeObject(service, [], now, { endpointSlices: [slice] });
  assert.match(text, /^Selector:\s+app=web$/m);
  assert.match(text, /^Type:\s+NodePort$/m);
  assert.match(text, /^IP:\s+10\.96\.0\.7$/m);
  assert.match(text, /^Port:\s+http {2}80\/TCP\nTargetPort:\s+web\nNodePort:\s+http {2}30080\/TCP\nEndpoints:\s+10\.1\.0\.2:8080,10\.1\.0\.4:8080$/m);
  // The slice has no "dns" port: that service port has no endpoints.
  assert.match(text, /^Port:\s+dns {2}53\/UDP\nTargetPort:\s+5353\/UDP\nNodePort:\s+dns {2}30053\/UDP\nEndpoints:\s+<none>$/m);
  assert.match(text, /^Session Affinity:\s+None$/m);
});
