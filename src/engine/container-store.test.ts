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
