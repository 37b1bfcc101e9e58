/**
 * Service and EndpointSlice manifests as people write them for Kubernetes: admitted with Kubernetes'
 * defaults, and broken ones refused naming the field path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { kindByName, kindOf } from './registry.ts';
import type { EndpointSlice, Service } from './service-schemas.ts';

const services = kindByName('svc');

const clusterIpManifest = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, targetPort: 'http' },
      { name: 'metrics', port: 9090 },
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
    ],
  },
};

const nodePortManifest = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'front' },
  spec: {
    type: 'NodePort',
    selector: { app: 'front' },
    ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
    sessionAffinity: 'ClientIP',
    externalIPs: ['192.0.2.10'],
  },
};

const headlessManifest = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'db' },
  spec: {
    clusterIP: 'None',
    selector: { app: 'db' },
    ports: [{ port: 5432 }],
    publishNotReadyAddresses: true,
  },
};

function admit(manifest: unknown, old?: unknown): Service {
  const { object, warnings } = services.admit(manifest, old);
  assert.deepEqual(warnings, []);
  return object as Service;
}

/** The field errors an admission fails with, as `path: message` lines. */
function causes(manifest: unknown, old?: unknown): string[] {
  try {
    kindOf((manifest as Service).apiVersion, (manifest as Service).kind).admit(manifest, old);
  } catch (err) {
    assert.ok(isMarinaError(err, 'Invalid'), String(err));
    return ((err.details?.causes ?? []) as { field: string; message: string }[]).map(
      (c) => `${c.field}: ${c.message}`,
    );
  }
  assert.fail('admission passed');
}

function withSpec(manifest: { spec: object }, spec: object) {
  return { ...structuredClone(manifest), spec: { ...structuredClone(manifest.spec), ...spec } };
}

test('Service and EndpointSlice are served under their Kubernetes names', () => {
  assert.equal(services.kind, 'Service');
  assert.equal(kindByName('services'), services);
  assert.equal(kindByName('service'), services);
  const slices = kindByName('endpointslices');
  assert.equal(slices.apiVersion, 'discovery.k8s.io/v1');
  assert.equal(slices.qualifiedKind, 'EndpointSlice.discovery.k8s.io');
  assert.equal(kindOf('discovery.k8s.io/v1', 'EndpointSlice'), slices);
});

test('a ClusterIP service with named ports gets Kubernetes defaults', () => {
  const service = admit(clusterIpManifest);
  assert.equal(service.spec?.type, 'ClusterIP');
  assert.equal(service.spec?.sessionAffinity, 'None');
  assert.equal(service.spec?.sessionAffinityConfig, undefined);
  assert.deepEqual(service.spec?.ports, [
    { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
  ]);
  assert.deepEqual(service.status, { loadBalancer: {} });
  assert.equal(service.spec?.clusterIP, undefined, 'the allocator, not defaulting, fills the clusterIP');
});

test('a NodePort service with ClientIP affinity defaults the affinity timeout to three hours', () => {
  const service = admit(nodePortManifest);
  assert.equal(service.metadata.namespace, 'default');
  assert.equal(service.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds, 10800);
  assert.equal(service.spec?.ports?.[0]?.nodePort, 30080);
});

test('a headless service needs no ports and keeps clusterIP None in both fields', () => {
  const service = admit(headlessManifest);
  assert.equal(service.spec?.clusterIP, 'None');
  assert.deepEqual(service.spec?.clusterIPs, ['None']);
  assert.deepEqual(admit(withSpec(headlessManifest, { ports: undefined })).spec?.ports, undefined);
});

test('ports: range, duplicates, names and protocols are checked with field paths', () => {
  assert.deepEqual(causes(withSpec(clusterIpManifest, { ports: [{ port: 0, targetPort: 8080 }] })), [
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(
    causes(
      withSpec(clusterIpManifest, {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80 },
        ],
      }),
    ),
    ['spec.ports[1]: Duplicate value: "80/TCP"'],
  );
  // The same number over TCP and UDP is two ports, as DNS on 53 is.
  admit(
    withSpec(clusterIpManifest, {
      ports: [
        { name: 'a', port: 53 },
        { name: 'b', port: 53, protocol: 'UDP' },
      ],
    }),
  );
  assert.deepEqual(causes(withSpec(clusterIpManifest, { ports: [{ port: 80 }, { name: 'b', port: 81 }] })), [
    'spec.ports[0].name: Required value',
  ]);
  assert.deepEqual(causes(withSpec(clusterIpManifest, { ports: [{ port: 80, protocol: 'SCTP' }] })), [
    'spec.ports[0].protocol: Unsupported value: "SCTP": supported values: "TCP", "UDP"',
  ]);
  assert.deepEqual(causes(withSpec(clusterIpManifest, { ports: [{ port: 80, targetPort: 70000 }] })), [
    'spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(causes(withSpec(clusterIpManifest, { ports: [] })), ['spec.ports: Required value']);
});

test('types: LoadBalancer is refused saying why, nodePort only on NodePort, None only for ClusterIP', () => {
  const [loadBalancer] = causes(withSpec(nodePortManifest, { type: 'LoadBalancer' }));
  assert.match(
    loadBalancer ?? '',
    /^spec\.type: Invalid value: "LoadBalancer": LoadBalancer services are not supported.*NodePort/,
  );
  assert.deepEqual(causes(withSpec(nodePortManifest, { type: 'ExternalName' })), [
    'spec.type: Unsupported value: "ExternalName": supported values: "ClusterIP", "NodePort"',
  ]);
  assert.deepEqual(causes(withSpec(nodePortManifest, { type: 'ClusterIP' })), [
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
  ]);
  assert.deepEqual(causes(withSpec(nodePortManifest, { clusterIP: 'None' })), [
    `spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`,
  ]);
});

test('clusterIP syntax, externalIPs, affinity timeout and the service name are checked', () => {
  assert.deepEqual(causes(withSpec(clusterIpManifest, { clusterIP: '10.96.0.300' })), [
    `spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IPv4 address, 'None' or empty`,
  ]);
  assert.deepEqual(
    causes(withSpec(clusterIpManifest, { clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.2'] })),
    ['spec.clusterIPs[0]: Invalid value: "10.96.0.2": must match `spec.clusterIP` when both are set'],
  );
  assert.deepEqual(causes(withSpec(nodePortManifest, { externalIPs: ['not-an-ip'] })), [
    'spec.externalIPs[0]: Invalid value: "not-an-ip": must be a valid IPv4 address',
  ]);
  assert.deepEqual(
    causes(withSpec(nodePortManifest, { sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } } })),
    [
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400',
    ],
  );
  const [name] = causes({ ...clusterIpManifest, metadata: { name: '1web' } });
  assert.match(name ?? '', /^metadata\.name: Invalid value: "1web": a DNS-1035 label/);
});

test('a set clusterIP is immutable; an update that leaves it out keeps it', () => {
  const stored = admit(withSpec(clusterIpManifest, { clusterIP: '10.96.0.20' }));
  assert.deepEqual(causes(withSpec(clusterIpManifest, { clusterIP: '10.96.0.21' }), stored), [
    'spec.clusterIPs[0]: Invalid value: "10.96.0.21": field is immutable',
  ]);
  admit(clusterIpManifest, stored);
});

test('an EndpointSlice as the controller writes it is admitted; a bad one names the field', () => {
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc12', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: ['10.88.0.5'],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' },
        nodeName: 'node-a',
      },
    ],
    ports: [{ name: 'http', port: 8080 }],
  };
  const admitted = kindByName('endpointslices').admit(slice, undefined).object as EndpointSlice;
  assert.equal(admitted.ports?.[0]?.protocol, 'TCP');
  assert.deepEqual(causes({ ...slice, addressType: 'FQDN' }), [
    'addressType: Unsupported value: "FQDN": supported values: "IPv4"',
  ]);
  assert.deepEqual(causes({ ...slice, endpoints: [{ addresses: ['10.88.0.256'] }] }), [
    'endpoints[0].addresses[0]: Invalid value: "10.88.0.256": must be a valid IPv4 address',
  ]);
  assert.deepEqual(
    causes({
      ...slice,
      ports: [
        { name: 'http', port: 1 },
        { name: 'http', port: 2 },
      ],
    }),
    ['ports[1].name: Duplicate value: "http"'],
  );
});

test('a NodePort Service turned ClusterIP drops the node ports it kept; one the update sets is refused', () => {
  const stored = admit(withSpec(nodePortManifest, { ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] }));
  // What a merge patch of {"spec":{"type":"ClusterIP"}} sends: the stored ports, node port included.
  const patched = admit({ ...stored, spec: { ...stored.spec, type: 'ClusterIP' } }, stored);
  assert.equal(patched.spec?.type, 'ClusterIP');
  assert.deepEqual(
    patched.spec?.ports?.map((p) => p.nodePort),
    [undefined],
  );
  const moved = { ...stored, spec: { ...stored.spec, type: 'ClusterIP', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30081 }] } };
  assert.deepEqual(causes(moved, stored), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
});
