/**
 * Composes the control plane in marinad: the Store on the state database, the API server's
 * ResourceService over it with every served kind, the namespaces every cluster starts with, and the
 * loops that act on objects — the shared informers, the scheduler and the controllers — running until
 * marinad stops.
 */
import type { Logger } from 'pino';
import type { ClusterApi } from '../api/api-types.ts';
import { ResourceService } from '../cluster/apiserver/resource-service.ts';
import { EventRecorder } from '../cluster/controllers/event-recorder.ts';
import { createInformers } from '../cluster/controllers/informers.ts';
import { kindByName, kindCatalog } from '../cluster/resources/registry.ts';
import { SchedulerLoop } from '../cluster/scheduler/scheduler-loop.ts';
import { SqliteStore } from '../cluster/store/sqlite-store.ts';
import type { StateDb } from '../db/state-db.ts';

/** As Kubernetes starts: `default` for users, `kube-node-lease` for node agents' Leases, `kube-system`. */
const initialNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ControlPlane {
  api: ClusterApi;
  close(): Promise<void>;
}

export async function setUpControlPlane(options: { db: StateDb; logger: Logger }): Promise<ControlPlane> {
  const logger = options.logger.child({ part: 'cluster' });
  const store = new SqliteStore(options.db);
  const resources = new ResourceService(store);
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
  const loops = [informers.run(stop.signal), scheduler.run(stop.signal), recorder('event-cleanup').runCleanup(stop.signal)];
  for (const loop of loops) loop.catch((err) => logger.error({ err }, 'a control-plane loop stopped'));

  return {
    api: { kinds: kindCatalog, resources },
    async close() {
      stop.abort();
      await Promise.allSettled(loops);
      await store.close();
    },
  };
}
