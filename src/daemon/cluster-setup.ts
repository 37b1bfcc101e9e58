/**
 * Composes the control plane in marinad: the Store on the state database, the API server's
 * ResourceService over it with every served kind, the namespaces every cluster starts with, and the
 * loops that act on objects — the shared informers, the scheduler, the controllers and this machine's
 * node agent — running until marinad stops. A marinad started with `--join` runs only its node agent,
 * against the control plane of another marinad, over HTTP (`setUpJoinedNode`).
 */
import type { Logger } from 'pino';
import type { ClusterApi } from '../api/api-types.ts';
import { HttpResourceClient } from '../cluster/apiserver/http-resource-client.ts';
import { ResourceService } from '../cluster/apiserver/resource-service.ts';
import { CronJobController } from '../cluster/controllers/cronjob/cronjob-controller.ts';
import { newDeploymentController } from '../cluster/controllers/deployment/deployment-controller.ts';
import { EndpointSliceController } from '../cluster/controllers/endpointslice/endpointslice-controller.ts';
import { EventRecorder } from '../cluster/controllers/event-recorder.ts';
import { GarbageCollector, ownedInformer } from '../cluster/controllers/garbage-collector/garbage-collector.ts';
import { createInformers } from '../cluster/controllers/informers.ts';
import { JobController } from '../cluster/controllers/job/job-controller.ts';
import { NodeLifecycleController, nodeLeaseInformer } from '../cluster/controllers/node-lifecycle/node-lifecycle-controller.ts';
import { newReplicaSetController } from '../cluster/controllers/replicaset/replicaset-controller.ts';
import { runController } from '../cluster/controllers/runtime/controller.ts';
import { kindByName, kindCatalog } from '../cluster/resources/registry.ts';
import { ServiceAllocator } from '../cluster/resources/service-allocator.ts';
import { SchedulerLoop } from '../cluster/scheduler/scheduler-loop.ts';
import { SqliteStore } from '../cluster/store/sqlite-store.ts';
import type { StateDb } from '../db/state-db.ts';
import { type LocalNodeOptions, runNode } from './node-setup.ts';

/** As Kubernetes starts: `default` for users, `kube-node-lease` for node agents' Leases, `kube-system`. */
const initialNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ControlPlane {
  api: ClusterApi;
  close(): Promise<void>;
}

export async function setUpControlPlane(options: { db: StateDb; logger: Logger; agent?: LocalNodeOptions }): Promise<ControlPlane> {
  const logger = options.logger.child({ part: 'cluster' });
  const store = new SqliteStore(options.db);
  // Services get their cluster IP (from 10.96.0.0/12, Kubernetes' default range) and node ports at create.
  const resources = new ResourceService(store, undefined, [new ServiceAllocator()]);
  await resources.ensureNamespaces(kindByName('namespace'), initialNamespaces);

  const stop = new AbortController();
  const informers = createInformers(resources, { onError: (err) => logger.warn({ err }, 'informer watch failed; listing again') });
  const recorder = (component: string) => new EventRecorder(resources, { component, logger });
  const scheduler = new SchedulerLoop({
    client: resources,
    pods: informers.pods,
    nodes: informers.nodes,
    events: recorder('default-scheduler'),
    logger: logger.child({ loop: 'scheduler' }),
  });
  const controllerLogger = logger.child({ loop: 'controllers' });
  const leases = nodeLeaseInformer(resources);
  // The collector also watches the kinds the shared set lacks, so a ConfigMap owned by a Deployment goes with it.
  const alsoOwned = [ownedInformer(resources, kindByName('configmap')), ownedInformer(resources, kindByName('secret'))];
  const common = { client: resources, informers, logger: controllerLogger };
  const controllers = [
    newReplicaSetController({ ...common, events: recorder('replicaset-controller') }),
    newDeploymentController({ ...common, events: recorder('deployment-controller') }),
    new JobController({ ...common, events: recorder('job-controller') }),
    new CronJobController({ ...common, events: recorder('cronjob-controller') }),
    new NodeLifecycleController({ ...common, leases, events: recorder('node-controller') }),
    new EndpointSliceController({ ...common, events: recorder('endpointslice-controller') }),
    new GarbageCollector({
      client: resources,
      informers: [
        informers.pods,
        informers.replicaSets,
        informers.deployments,
        informers.jobs,
        informers.cronJobs,
        informers.services,
        informers.endpointSlices,
        ...alsoOwned,
      ],
      logger: controllerLogger,
    }),
  ];
  const loops = [
    informers.run(stop.signal),
    leases.run(stop.signal),
    ...alsoOwned.map((informer) => informer.run(stop.signal)),
    scheduler.run(stop.signal),
    ...controllers.map((controller) => runController(controller, { workers: 2, logger: controllerLogger, signal: stop.signal })),
    recorder('event-cleanup').runCleanup(stop.signal),
  ];
  // This machine as a node: its agent runs the pods bound to it through this marinad's engine.
  if (options.agent) loops.push(runNode(resources, options.agent, logger, stop.signal));
  for (const loop of loops) loop.catch((err) => logger.error({ err }, 'a control-plane loop stopped'));

  return {
    api: { kinds: kindCatalog, resources, ...(options.agent ? { localNode: options.agent.nodeName } : {}) },
    async close() {
      stop.abort();
      await Promise.allSettled(loops);
      await store.close();
    },
  };
}

/** A marinad that joined another's control plane: its node agent, and nothing of a control plane. */
export interface JoinedNode {
  /** The control plane's API address (`unix:///path` or `http://host:port`). */
  controlPlane: string;
  close(): Promise<void>;
}

/**
 * Runs this marinad's node agent against the control plane at `address` over HTTP, as a kubelet runs
 * against its API server. The agent registers once that control plane answers, and keeps trying until then.
 */
export async function setUpJoinedNode(options: { address: string; logger: Logger; agent: LocalNodeOptions }): Promise<JoinedNode> {
  const logger = options.logger.child({ part: 'cluster', joined: options.address });
  const client = new HttpResourceClient(options.address);
  const stop = new AbortController();
  const agent = runNode(client, options.agent, logger, stop.signal);
  agent.catch((err) => logger.error({ err }, 'the node stopped'));
  return {
    controlPlane: options.address,
    async close() {
      stop.abort();
      await agent.catch(() => {});
      client.close();
    },
  };
}
