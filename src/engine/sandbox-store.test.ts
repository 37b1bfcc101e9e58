import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateDb } from '../db/state-db.ts';
import { SandboxStore } from './sandbox-store.ts';
import type { SandboxRecord } from './sandbox-types.ts';

function sandbox(id: string, created: string, labels: Record<string, string>): SandboxRecord {
  return {
    id,
    name: id,
    created,
    request: { id, name: id, network: 'bridge', labels },
    status: 'ready',
    error: '',
    netnsName: `ns-${id}`,
    netnsPath: `/run/netns/ns-${id}`,
    ip: '',
    endpoints: [],
    ports: [],
    etcFiles: { hostname: '', hosts: '', resolvConf: '' },
  };
}

test('withLabel finds the sandboxes carrying a label, oldest first, and forgets removed ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-sandboxes-'));
  const db = new StateDb(join(dir, 'state.db'));
  try {
    const store = new SandboxStore(db);
    store.insert(sandbox('s1', '2024-01-01T00:00:00Z', { pod: 'p1' }));
    store.insert(sandbox('s2', '2024-01-02T00:00:00Z', { pod: 'p1' }));
    store.insert(sandbox('s3', '2024-01-03T00:00:00Z', { pod: 'p2' }));
    assert.deepEqual(
      store.withLabel('pod', 'p1').map((s) => s.id),
      ['s1', 's2'],
    );
    store.update({ ...sandbox('s1', '2024-01-01T00:00:00Z', { pod: 'p1' }), ip: '10.0.0.2' });
    assert.equal(store.withLabel('pod', 'p1')[0]?.ip, '10.0.0.2');
    store.delete('s1');
    assert.deepEqual(
      store.withLabel('pod', 'p1').map((s) => s.id),
      ['s2'],
    );
    assert.deepEqual(store.withLabel('pod', 'p3'), []);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
