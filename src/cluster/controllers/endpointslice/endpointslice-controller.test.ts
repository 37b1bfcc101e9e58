/**
 * The EndpointSlice controller in process: a real API server on a temporary store, the shared informers,
 * the controller (and the garbage collector) running; the test plays the node agent by writing pod status.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestCluster } from '../../apiserver/test-cluster.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import type { EndpointSlice } from '../../resources/service-schemas.ts';
import { GarbageCollector } from '../garbage-collector/garbage-collector.ts';
import { controllerFixture } from '../test-controllers.ts';
import { eventually } from '../test-eventually.ts';
import { EndpointSliceController } from './endpointslice-controller.ts';

const pods = kindByName('pods');
const services = kindByName('services');
const slices = kindByName('endpointslices');

async function start(t: Parameters<typeof controllerFixture>[0]) {
  const f = await controllerFixture(t);
  const { cluster, informers, events, logger } = f;
  f.run(
    new EndpointSliceController({ client: cluster.api, informers, events, logger }),
    new GarbageCollector({
      client: cluster.api,
      informers: [informers.services, informers.endpointSlices],
      logger,
    }),
  );
  return f;
}

async function createPod(
  cluster: TestCluster,
  name: string,
  labels: Record<string, string>,
  portName = 'http',
) {
  await cluster.api.create(pods, 'default', {
    metadata: { name, labels },
    spec: {
      nodeName: 'node-a',
      containers: [{ name: 'app', image: 'busybox', ports: [{ name: portName, containerPort: 8080 }] }],
    },
  });
}

/** Plays the node agent: the pod runs at `ip`, Ready or not. */
async function setStatus(cluster: TestCluster, name: string, ip: string, ready: boolean) {
  const pod = (await cluster.api.get(pods, 'default', name)) as Pod;
  await cluster.api.updateStatus(pods, 'default', name, {
    ...pod,
    status: {
      phase: 'Running',
      podIP: ip,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  });
}

async function sliceOf(cluster: TestCluster, service: string): Promise<EndpointSlice | undefined> {
  const { items } = await cluster.api.list(slices, 'default', undefined, {
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  assert.ok(items.length <= 1, `one slice expected, got ${items.length}`);
  return items[0] as EndpointSlice | undefined;
}

/** The slice's endpoints as `pod:ready/serving/terminating`, sorted. */
async function endpointsOf(cluster: TestCluster, service: string): Promise<string[] | undefined> {
  const slice = await sliceOf(cluster, service);
  return slice?.endpoints
    ?.map((e) => {
      const c = e.conditions ?? {};
      return `${e.targetRef?.name}@${e.addresses[0]}:${c.ready}/${c.serving}/${c.terminating}`;
    })
    .sort();
}

const webService = {
  metadata: { name: 'web' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

test('a Service gets a slice of its selected pods that follows readiness and deletion', async (t) => {
  const { cluster } = await start(t);
  await createPod(cluster, 'web-1', { app: 'web' });
  await createPod(cluster, 'web-2', { app: 'web' });
  await createPod(cluster, 'other', { app: 'other' });
  await setStatus(cluster, 'web-1', '10.88.0.11', true);
  await setStatus(cluster, 'other', '10.88.0.13', true);
  const { object: service } = await cluster.api.create(services, 'default', webService);

  const slice = await eventually(async () => {
    const found = await sliceOf(cluster, 'web');
    return found?.endpoints?.length === 1 ? found : undefined;
  }, 'a slice with web-1');
  assert.deepEqual(slice.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
  assert.equal(slice.addressType, 'IPv4');
  assert.equal(slice.metadata.ownerReferences?.[0]?.uid, service.metadata.uid);
  assert.deepEqual(await endpointsOf(cluster, 'web'), ['web-1@10.88.0.11:true/true/false']);

  // web-2 gets an address, not yet Ready: listed, out of rotation.
  await setStatus(cluster, 'web-2', '10.88.0.12', false);
  await eventually(
    async () => (await endpointsOf(cluster, 'web'))?.includes('web-2@10.88.0.12:false/false/false'),
    'web-2 listed not ready',
  );
  // web-2 becomes Ready, web-1 fails readiness.
  await setStatus(cluster, 'web-2', '10.88.0.12', true);
  await setStatus(cluster, 'web-1', '10.88.0.11', false);
  await eventually(async () => {
    const endpoints = await endpointsOf(cluster, 'web');
    return (
      endpoints?.join() === ['web-1@10.88.0.11:false/false/false', 'web-2@10.88.0.12:true/true/false'].join()
    );
  }, 'readiness swapped');

  // A scheduled pod deleted gracefully is terminating (out of rotation), then gone.
  await cluster.api.delete(pods, 'default', 'web-2');
  await eventually(
    async () => (await endpointsOf(cluster, 'web'))?.includes('web-2@10.88.0.12:false/true/true'),
    'web-2 terminating',
  );
  await cluster.api.delete(pods, 'default', 'web-2', { gracePeriodSeconds: 0 });
  await eventually(
    async () => (await endpointsOf(cluster, 'web'))?.join() === 'web-1@10.88.0.11:false/false/false',
    'web-2 gone from the slice',
  );

  // Relabelling a pod out of the selector takes it out.
  const web1 = (await cluster.api.get(pods, 'default', 'web-1')) as Pod;
  await cluster.api.update(pods, 'default', 'web-1', {
    ...web1,
    metadata: { ...web1.metadata, labels: { app: 'x' } },
  });
  await eventually(async () => (await sliceOf(cluster, 'web'))?.endpoints?.length === 0, 'an empty slice');

  // The slice goes with its Service.
  await cluster.api.delete(services, 'default', 'web');
  await eventually(async () => (await sliceOf(cluster, 'web')) === undefined, 'the slice collected');
});

test('a named targetPort no container declares is a Warning Event on the Service', async (t) => {
  const { cluster, events } = await start(t);
  await createPod(cluster, 'api-1', { app: 'web' }, 'grpc');
  await setStatus(cluster, 'api-1', '10.88.0.21', true);
  await cluster.api.create(services, 'default', webService);
  const warning = await eventually(
    () => events.recorded.find((e) => e.object === 'Service/web' && e.reason === 'FailedToResolveTargetPort'),
    'the warning',
  );
  assert.equal(warning.type, 'Warning');
  assert.match(warning.message, /targetPort "http" names no container port in pod\(s\) api-1/);
  // Listed without the port: no traffic for "http" reaches it.
  const slice = await eventually(async () => {
    const found = await sliceOf(cluster, 'web');
    return found?.endpoints?.length === 1 ? found : undefined;
  }, 'the slice');
  assert.deepEqual(slice.ports, []);
});

test('a managed slice someone deletes is put back', async (t) => {
  const { cluster } = await start(t);
  await createPod(cluster, 'web-1', { app: 'web' });
  await setStatus(cluster, 'web-1', '10.88.0.31', true);
  await cluster.api.create(services, 'default', webService);
  const first = await eventually(async () => {
    const found = await sliceOf(cluster, 'web');
    return found?.endpoints?.length === 1 ? found : undefined;
  }, 'the slice');
  await cluster.api.delete(slices, 'default', first.metadata.name!);
  const again = await eventually(async () => {
    const found = await sliceOf(cluster, 'web');
    return found && found.metadata.uid !== first.metadata.uid ? found : undefined;
  }, 'the slice recreated');
  assert.deepEqual(again.endpoints, first.endpoints);
});
