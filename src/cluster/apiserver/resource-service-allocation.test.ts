/**
 * The API server's allocation hook with the real Service kind and allocator: values are allocated at
 * create, kept on update, freed at delete, derived again from the store by a new server, and a refused
 * request writes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { StateDb } from '../../db/state-db.ts';
import { isMarinaError } from '../../errors.ts';
import { kindByName } from '../resources/registry.ts';
import { ServiceAllocator } from '../resources/service-allocator.ts';
import type { Service } from '../resources/service-schemas.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { ResourceService } from './resource-service.ts';

const services = kindByName('services');
const range = '10.100.0.0/29';

async function openApi(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'marina-svc-alloc-'));
  const db = new StateDb(join(dir, 'state.db'));
  const store = new SqliteStore(db, { compactEveryMs: 0 });
  const serve = () => new ResourceService(store, undefined, [new ServiceAllocator({ serviceRange: range })]);
  const api = serve();
  await api.ensureNamespaces(kindByName('namespace'), ['default']);
  t.after(async () => {
    await store.close();
    db.sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { api, serve };
}

const manifest = (name: string, spec: object = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

const clusterIPOf = (object: unknown) => (object as Service).spec?.clusterIP;

test('create allocates, update keeps, delete frees; a new server derives the same from the store', async (t) => {
  const { api, serve } = await openApi(t);
  const a = await api.create(services, 'default', manifest('a'));
  assert.equal(clusterIPOf(a.object), '10.100.0.1');
  const kept = await api.update(services, 'default', 'a', {
    ...manifest('a'),
    metadata: { name: 'a', labels: { x: 'y' } },
  });
  assert.equal(clusterIPOf(kept.object), '10.100.0.1');
  assert.equal(clusterIPOf((await api.create(services, 'default', manifest('b'))).object), '10.100.0.2');

  // A restarted server knows a and b hold their addresses without having allocated them.
  const restarted = serve();
  assert.equal(
    clusterIPOf((await restarted.create(services, 'default', manifest('c'))).object),
    '10.100.0.3',
  );
  await restarted.delete(services, 'default', 'b');
  await assert.rejects(
    restarted.create(services, 'default', manifest('d', { clusterIP: '10.100.0.1' })),
    (err) => isMarinaError(err, 'Invalid') && err.message.includes('provided IP is already allocated'),
  );
  assert.equal(
    clusterIPOf(
      (await restarted.create(services, 'default', manifest('d', { clusterIP: '10.100.0.2' }))).object,
    ),
    '10.100.0.2',
  );
});

test('a refused clusterIP writes nothing and reserves nothing', async (t) => {
  const { api } = await openApi(t);
  await assert.rejects(
    api.create(services, 'default', manifest('outside', { clusterIP: '10.200.0.1' })),
    (err) =>
      isMarinaError(err, 'Invalid') &&
      err.message.includes('is not in the valid range. The range of valid IPs is 10.100.0.0/29'),
  );
  assert.deepEqual((await api.list(services, 'default')).items, []);
  // A create that fails at the store (the name exists) gives back what it took.
  await api.create(services, 'default', manifest('a'));
  await assert.rejects(api.create(services, 'default', manifest('a')), (err) =>
    isMarinaError(err, 'Conflict'),
  );
  const b = await api.create(services, 'default', manifest('b', { clusterIP: '10.100.0.2' }));
  assert.equal(clusterIPOf(b.object), '10.100.0.2');
});

test('concurrent creates never share an address, and the range running out is a Conflict', async (t) => {
  const { api } = await openApi(t);
  const created = await Promise.allSettled(
    ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => api.create(services, 'default', manifest(name))),
  );
  const ips = created.flatMap((r) => (r.status === 'fulfilled' ? [clusterIPOf(r.value.object)] : []));
  assert.equal(ips.length, 6, 'a /29 has six usable addresses');
  assert.equal(new Set(ips).size, 6);
  const refused = created.find((r) => r.status === 'rejected');
  assert.ok(refused && isMarinaError(refused.reason, 'Conflict'), String(refused));
});
