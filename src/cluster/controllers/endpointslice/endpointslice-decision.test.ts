import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../resources/pod-schemas.ts';
import type { EndpointSlice, Service } from '../../resources/service-schemas.ts';
import { decideEndpointSlices, desiredSlices, endpointFor, headlessLabel } from './endpointslice-decision.ts';

function service(spec: Service['spec'] = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { tier: 'front' } },
    spec: {
      type: 'ClusterIP',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }],
      ...spec,
    },
  };
}

function pod(
  name: string,
  options: { ip?: string; ready?: boolean; deleting?: boolean; httpPort?: number | null } = {},
): Pod {
  const { ip = `10.88.0.${name.length}`, ready = true, deleting = false, httpPort = 8080 } = options;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: 'web' },
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: 'node-a',
      containers: [
        {
          name: 'app',
          image: 'busybox',
          ports: httpPort === null ? [] : [{ name: 'http', containerPort: httpPort, protocol: 'TCP' }],
        },
      ],
    },
    status: {
      phase: 'Running',
      ...(ip ? { podIP: ip } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  } as Pod;
}

test('endpoint conditions: ready, not ready, terminating, and publishNotReadyAddresses', () => {
  const svc = service();
  assert.deepEqual(endpointFor(svc, pod('a'))?.conditions, {
    ready: true,
    serving: true,
    terminating: false,
  });
  assert.deepEqual(endpointFor(svc, pod('a', { ready: false }))?.conditions, {
    ready: false,
    serving: false,
    terminating: false,
  });
  assert.deepEqual(endpointFor(svc, pod('a', { deleting: true }))?.conditions, {
    ready: false,
    serving: true,
    terminating: true,
  });
  const notReady = pod('a', { ready: false });
  assert.equal(endpointFor(service({ publishNotReadyAddresses: true }), notReady)?.conditions?.ready, true);
  const endpoint = endpointFor(svc, pod('abc', { ip: '10.88.0.7' }));
  assert.deepEqual(endpoint?.addresses, ['10.88.0.7']);
  assert.deepEqual(endpoint?.targetRef, { kind: 'Pod', namespace: 'default', name: 'abc', uid: 'uid-abc' });
  assert.equal(endpoint?.nodeName, 'node-a');
});

test('a pod whose subdomain is the Service is named by its hostname; other pods are not', () => {
  const named = (spec: Partial<Pod['spec']>) => {
    const p = pod('a');
    return { ...p, spec: { ...p.spec, ...spec } };
  };
  assert.equal(endpointFor(service(), named({ hostname: 'db-0', subdomain: 'web' }))?.hostname, 'db-0');
  assert.equal(endpointFor(service(), named({ hostname: 'db-0', subdomain: 'other' }))?.hostname, undefined);
  assert.equal(endpointFor(service(), named({ subdomain: 'web' }))?.hostname, undefined);
});

test('pods without an address or finished are no endpoints', () => {
  assert.equal(endpointFor(service(), pod('a', { ip: '' })), undefined);
  const finished = pod('b');
  finished.status = { ...finished.status, phase: 'Succeeded' };
  assert.equal(endpointFor(service(), finished), undefined);
});

test('a named targetPort resolves per pod; pods that resolve differently get different slices', () => {
  const { slices, events } = desiredSlices(service(), [pod('a'), pod('bb'), pod('ccc', { httpPort: 9090 })]);
  assert.equal(slices.length, 2);
  const byPort = new Map(slices.map((s) => [s.ports?.[0]?.port, s.endpoints?.map((e) => e.targetRef?.name)]));
  assert.deepEqual(byPort.get(8080), ['a', 'bb']);
  assert.deepEqual(byPort.get(9090), ['ccc']);
  assert.deepEqual(events, []);
  for (const slice of slices) {
    assert.match(slice.metadata.name ?? '', /^web-[0-9a-f]{10}$/);
    assert.equal(slice.metadata.labels?.['kubernetes.io/service-name'], 'web');
    assert.equal(
      slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'],
      'endpointslice-controller.k8s.io',
    );
    assert.equal(slice.metadata.labels?.tier, 'front');
    assert.equal(slice.metadata.ownerReferences?.[0]?.uid, 'svc-uid');
    assert.deepEqual(slice.ports?.[0], { name: 'http', protocol: 'TCP', port: slice.ports?.[0]?.port });
  }
});

test('a targetPort name no container declares is a Warning naming the pods', () => {
  const { slices, events } = desiredSlices(service(), [pod('a'), pod('bb', { httpPort: null })]);
  assert.deepEqual(events, [
    {
      type: 'Warning',
      reason: 'FailedToResolveTargetPort',
      message: 'targetPort "http" names no container port in pod(s) bb: they get no traffic on it',
    },
  ]);
  // bb is listed without the port, so no traffic on it reaches bb.
  assert.deepEqual(slices.map((s) => [s.ports?.length, s.endpoints?.map((e) => e.targetRef?.name)]).sort(), [
    [0, ['bb']],
    [1, ['a']],
  ]);
});

test('numeric targetPorts, headless label, and an empty placeholder when nothing is selected', () => {
  const headless = service({
    clusterIP: 'None',
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP', targetPort: 5432 }],
  });
  const { slices } = desiredSlices(headless, []);
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0]?.endpoints, []);
  assert.equal(slices[0]?.metadata.labels?.[headlessLabel], '');
  const [withPod] = desiredSlices(headless, [pod('a', { httpPort: null })]).slices;
  assert.deepEqual(withPod?.ports, [{ name: 'pg', protocol: 'TCP', port: 5432 }]);
});

test('the decision creates what is missing, updates what changed, deletes what is extra, and is idempotent', () => {
  const svc = service();
  const first = decideEndpointSlices(svc, [pod('a')], []);
  assert.equal(first.create.length, 1);
  assert.deepEqual([first.update, first.delete], [[], []]);
  const stored = {
    ...first.create[0]!,
    metadata: { ...first.create[0]!.metadata, resourceVersion: '7', uid: 's1' },
  };
  assert.deepEqual(decideEndpointSlices(svc, [pod('a')], [stored]), {
    create: [],
    update: [],
    delete: [],
    events: [],
  });

  const notReady = decideEndpointSlices(svc, [pod('a', { ready: false })], [stored]);
  assert.equal(notReady.update.length, 1);
  assert.equal(
    notReady.update[0]?.metadata.resourceVersion,
    '7',
    'the update is conditional on what was read',
  );
  assert.equal(notReady.update[0]?.endpoints?.[0]?.conditions?.ready, false);

  const stray: EndpointSlice = { ...stored, metadata: { ...stored.metadata, name: 'web-old' } };
  const userOwned: EndpointSlice = { ...stored, metadata: { name: 'web-manual', labels: {} } };
  const cleaned = decideEndpointSlices(svc, [pod('a')], [stored, stray, userOwned]);
  assert.deepEqual(cleaned.delete, ['web-old']);

  // Without a selector the Service's slices are the user's: managed ones go, others stay.
  const unselected = decideEndpointSlices(service({ selector: undefined }), [pod('a')], [stored, userOwned]);
  assert.deepEqual(unselected, { create: [], update: [], delete: [stored.metadata.name], events: [] });
});
