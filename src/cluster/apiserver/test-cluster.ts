/**
 * For unit tests: a ResourceService over a SQLite store in a temporary directory, and stand-in kinds
 * with just enough admission to test the machinery (replicas must not be negative; a default is filled
 * in). The real kinds and their admission are tested in cluster/resources.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDb } from '../../db/state-db.ts';
import { invalid } from '../../errors.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { ApiKind, KubeObject } from './api-kind.ts';
import { ResourceService } from './resource-service.ts';

export function testKind(overrides: Partial<ApiKind>): ApiKind {
  return {
    group: 'apps',
    version: 'v1',
    kind: 'Widget',
    plural: 'widgets',
    namespaced: true,
    hasStatus: true,
    selectableFields: ['metadata.name', 'metadata.namespace'],
    admit(object) {
      const o = object as KubeObject & { spec?: { replicas?: number } };
      if ((o.spec?.replicas ?? 0) < 0) throw invalid(`spec.replicas: Invalid value: ${o.spec?.replicas}: must be greater than or equal to 0`);
      return { object: { ...o, spec: { replicas: 1, ...o.spec } }, warnings: [] };
    },
    ...overrides,
  };
}

export const widgets = testKind({});
export const pods = testKind({ group: '', kind: 'Pod', plural: 'pods', version: 'v1' });
export const namespaces = testKind({ group: '', kind: 'Namespace', plural: 'namespaces', version: 'v1', namespaced: false, hasStatus: false });

export interface TestCluster {
  api: ResourceService;
  store: SqliteStore;
  dispose(): Promise<void>;
}

export async function openTestCluster(now?: () => Date): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'marina-cluster-'));
  const db = new StateDb(join(dir, 'state.db'));
  const store = new SqliteStore(db, { compactEveryMs: 0 });
  const api = new ResourceService(store, now);
  await api.ensureNamespaces(namespaces, ['default']);
  return {
    api,
    store,
    async dispose() {
      await store.close();
      db.sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
