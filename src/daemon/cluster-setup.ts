/**
 * Composes the control plane in marinad: the Store on the state database, the API server's
 * ResourceService over it with every served kind, and the namespaces every cluster starts with.
 */
import type { Logger } from 'pino';
import type { ClusterApi } from '../api/api-types.ts';
import { ResourceService } from '../cluster/apiserver/resource-service.ts';
import { kindByName, kindCatalog } from '../cluster/resources/registry.ts';
import { SqliteStore } from '../cluster/store/sqlite-store.ts';
import type { StateDb } from '../db/state-db.ts';

/** As Kubernetes starts: `default` for users, `kube-node-lease` for node agents' Leases, `kube-system`. */
const initialNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ControlPlane {
  api: ClusterApi;
  close(): Promise<void>;
}

export async function setUpControlPlane(options: { db: StateDb; logger: Logger }): Promise<ControlPlane> {
  const store = new SqliteStore(options.db);
  const resources = new ResourceService(store);
  await resources.ensureNamespaces(kindByName('namespace'), initialNamespaces);
  options.logger.child({ part: 'cluster' }).debug({ kinds: kindCatalog.kinds.length }, 'control plane API ready');
  return {
    api: { kinds: kindCatalog, resources },
    close: () => store.close(),
  };
}
