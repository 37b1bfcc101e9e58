import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateDb } from '../db/state-db.ts';
import { isMarinaError } from '../errors.ts';
import type { ContainerRecord } from './container-types.ts';
import { type ContainerEntry, ContainerStore, createdState } from './container-store.ts';

function entry(id: string, name: string, over: Partial<ContainerRecord> = {}): ContainerEntry {
  const record: ContainerRecord = {
    id,
    name,
    created: new Date().toISOString(),
    image: 'busybox',
    imageId: 'sha256:img',
    request: { image: 'busybox' },
    path: 'sh',
    args: [],
    env: [],
    workingDir: '/',
    user: '',
    hostname: id.slice(0, 12),
    mounts: [],
    networks: [],
    ports: [],
    state: createdState(),
    logPath: '',
    ...over,
  };
  return { record, explicitlyStopped: false, anonymousVolumes: [], stopSignal: 'SIGTERM', publish: [] };
}

function withStore(fn: (store: ContainerStore, db: StateDb) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'marina-store-'));
  const db = new StateDb(join(dir, 'state.db'));
  try {
    fn(new ContainerStore(db), db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const idA = `abc1${'0'.repeat(60)}`;
const idB = `abc2${'0'.repeat(60)}`;

test('round trip, update, delete', () =>
  withStore((store) => {
    store.insert(entry(idA, 'web'));
    assert.equal(store.find('web').record.id, idA);
    const e = store.find(idA);
    e.record.state.status = 'running';
    e.explicitlyStopped = true;
    store.update(e);
    assert.equal(store.get(idA)?.record.state.status, 'running');
    assert.equal(store.get(idA)?.explicitlyStopped, true);
    store.delete(idA);
    assert.equal(store.get(idA), undefined);
  }));

test('names are unique, with Docker\'s conflict message', () =>
  withStore((store) => {
    store.insert(entry(idA, 'web'));
    assert.throws(
      () => store.insert(entry(idB, 'web')),
      (e) =>
        isMarinaError(e, 'Conflict') &&
        e.message ===
          `Conflict. The container name "/web" is already in use by container "${idA}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
    assert.equal(store.get(idB), undefined);
  }));

test('lookups: full id, name with or without slash, unique prefix; ambiguous and unknown refused', () =>
  withStore((store) => {
    store.insert(entry(idA, 'web'));
    store.insert(entry(idB, 'db'));
    assert.equal(store.find('/db').record.id, idB);
    assert.equal(store.find('abc1').record.id, idA);
    assert.throws(() => store.find('abc'), (e) => isMarinaError(e, 'Invalid') && e.message.includes('multiple containers'));
    assert.throws(() => store.find('nope'), (e) => isMarinaError(e, 'NotFound') && e.message === 'No such container: nope');
    assert.throws(() => store.find('fff'), (e) => isMarinaError(e, 'NotFound'));
  }));

test('image and volume usage', () =>
  withStore((store) => {
    store.insert(
      entry(idA, 'web', { mounts: [{ type: 'volume', name: 'data', source: '/v/data/_data', target: '/d', readOnly: false }] }),
    );
    assert.equal(store.usesImage('sha256:img'), true);
    assert.equal(store.usesImage('sha256:other'), false);
    assert.deepEqual(store.containersUsingVolume('data'), [idA]);
    assert.deepEqual(store.containersUsingVolume('other'), []);
  }));

test('withLabel finds the containers carrying a label, newest first, and forgets removed ones', () =>
  withStore((store) => {
    const labelled = (id: string, name: string, created: string, labels: Record<string, string>) =>
      entry(id, name, { created, request: { image: 'busybox', labels } });
    store.insert(labelled(idA, 'a', '2024-01-01T00:00:00Z', { pod: 'p1', role: 'app' }));
    store.insert(labelled(idB, 'b', '2024-01-02T00:00:00Z', { pod: 'p1' }));
    store.insert(labelled(`abc3${'0'.repeat(60)}`, 'c', '2024-01-03T00:00:00Z', { pod: 'p2' }));
    assert.deepEqual(store.withLabel('pod', 'p1').map((e) => e.record.name), ['b', 'a']);
    assert.deepEqual(store.withLabel('role', 'app').map((e) => e.record.name), ['a']);
    assert.deepEqual(store.withLabel('pod', 'p3'), []);
    store.delete(idB);
    assert.deepEqual(store.withLabel('pod', 'p1').map((e) => e.record.name), ['a']);
  }));

test('the label index is built from the containers stored before it existed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-store-'));
  try {
    const db = new StateDb(join(dir, 'state.db'));
    // The engine's tables as they were before the label index (its first migration only).
    db.migrate('engine', [
      `CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT NOT NULL, image_id TEXT NOT NULL, created TEXT NOT NULL, entry TEXT NOT NULL);
       CREATE UNIQUE INDEX containers_name ON containers (name);`,
    ]);
    const old = entry(idA, 'old', { request: { image: 'busybox', labels: { pod: 'p1' } } });
    db.run('INSERT INTO containers (id, name, image_id, created, entry) VALUES (?, ?, ?, ?, ?)', idA, 'old', 'sha256:img', old.record.created, JSON.stringify(old));
    const store = new ContainerStore(db);
    assert.deepEqual(store.withLabel('pod', 'p1').map((e) => e.record.name), ['old']);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
