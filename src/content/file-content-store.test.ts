import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { sha256Digest } from './digest.ts';
import { FileContentStore } from './file-content-store.ts';

function tempStore(t: { after(fn: () => void): void }): { store: FileContentStore; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'marina-content-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return { store: new FileContentStore(root), root };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test('write stores a blob under its sha256 and reads it back', async (t) => {
  const { store } = tempStore(t);
  const info = await store.write('hello');
  assert.equal(info.digest, sha256Digest('hello'));
  assert.equal(info.size, 5);
  assert.equal((await store.read(info.digest)).toString(), 'hello');
  assert.deepEqual(await store.info(info.digest), info);
  assert.ok(store.path(info.digest).endsWith(`content/blobs/sha256/${info.digest.slice(7)}`));
});

test('a wrong expected digest is refused with both digests named and nothing stored', async (t) => {
  const { store } = tempStore(t);
  const expected = sha256Digest('other');
  await assert.rejects(store.write('hello', { digest: expected }), (err) => {
    assert.ok(isMarinaError(err, 'Invalid'));
    assert.match(err.message, new RegExp(expected));
    assert.match(err.message, new RegExp(sha256Digest('hello')));
    return true;
  });
  assert.equal(await store.has(sha256Digest('hello')), false);
  assert.deepEqual(await collect(store.list()), []);
  assert.deepEqual(readdirSync(join(store.root, 'ingest')), []);
});

test('a wrong expected size is refused', async (t) => {
  const { store } = tempStore(t);
  await assert.rejects(
    store.write('hello', { size: 4 }),
    (err) => isMarinaError(err, 'Invalid') && /4 bytes, got 5/.test(err.message),
  );
  assert.equal(await store.has(sha256Digest('hello')), false);
});

test('a malformed expected digest is Invalid', async (t) => {
  const { store } = tempStore(t);
  await assert.rejects(store.write('x', { digest: 'sha256:abc' }), (err) => isMarinaError(err, 'Invalid'));
});

test('a failing source stores nothing and leaves no ingest file', async (t) => {
  const { store } = tempStore(t);
  async function* broken() {
    yield Buffer.from('partial');
    throw new Error('connection reset');
  }
  await assert.rejects(store.ingest(broken()), /connection reset/);
  assert.deepEqual(await collect(store.list()), []);
  assert.deepEqual(readdirSync(join(store.root, 'ingest')), []);
});

test('concurrent ingests of the same content both succeed and store it once', async (t) => {
  const { store } = tempStore(t);
  const data = Buffer.alloc(256 * 1024, 7);
  const [a, b] = await Promise.all([
    store.ingest(Readable.from([data])),
    store.ingest(Readable.from([data])),
  ]);
  assert.deepEqual(a, b);
  assert.deepEqual(await collect(store.list()), [a]);
});

test('openRead honours start and end (inclusive)', async (t) => {
  const { store } = tempStore(t);
  const { digest } = await store.write('0123456789');
  assert.equal(await text(store.openRead(digest, { start: 3 })), '3456789');
  assert.equal(await text(store.openRead(digest, { start: 2, end: 4 })), '234');
  assert.equal(await text(store.openRead(digest)), '0123456789');
});

test('reading a missing blob is NotFound', async (t) => {
  const { store } = tempStore(t);
  const missing = sha256Digest('missing');
  await assert.rejects(store.read(missing), (err) => isMarinaError(err, 'NotFound'));
  await assert.rejects(text(store.openRead(missing)), (err) => isMarinaError(err, 'NotFound'));
  assert.equal(await store.info(missing), undefined);
});

test('delete removes a blob and is a no-op when absent', async (t) => {
  const { store } = tempStore(t);
  const { digest } = await store.write('bye');
  await store.delete(digest);
  await store.delete(digest);
  assert.equal(await store.has(digest), false);
});

test('cleanupIngest removes leftovers of an interrupted one-shot write and keeps resumable ingests', async (t) => {
  const { store, root } = tempStore(t);
  mkdirSync(join(root, 'content', 'ingest'), { recursive: true });
  writeFileSync(join(root, 'content', 'ingest', 'tmp-leftover'), 'half');
  writeFileSync(join(root, 'content', 'ingest', 'upload-1'), 'half');
  await store.cleanupIngest();
  assert.deepEqual(readdirSync(join(root, 'content', 'ingest')), ['upload-1']);
});

test('a named ingest resumes where it stopped, also in a new process, and commits verified', async (t) => {
  const { store, root } = tempStore(t);
  const first = await store.openWriter('upload-a');
  await first.append(Buffer.from('hello '));
  await first.close();
  assert.equal((await store.ingestStatus('upload-a'))?.offset, 6);

  const restarted = new FileContentStore(root);
  await restarted.cleanupIngest();
  const resumed = await restarted.openWriter('upload-a');
  assert.equal(resumed.offset(), 6);
  await resumed.append(Readable.from([Buffer.from('world')]));
  const info = await resumed.commit({ digest: sha256Digest('hello world'), size: 11 });
  assert.equal((await restarted.read(info.digest)).toString(), 'hello world');
  assert.equal(await restarted.ingestStatus('upload-a'), undefined);
});

test('one writer per ingest; a commit with the wrong digest stores nothing and drops the ingest', async (t) => {
  const { store } = tempStore(t);
  const writer = await store.openWriter('pull-x');
  await assert.rejects(store.openWriter('pull-x'), (err) => isMarinaError(err, 'Conflict'));
  await writer.append(Buffer.from('abc'));
  await assert.rejects(writer.commit({ digest: sha256Digest('abd') }), (err) =>
    isMarinaError(err, 'Invalid'),
  );
  assert.equal(await store.has(sha256Digest('abc')), false);
  assert.equal(await store.ingestStatus('pull-x'), undefined);
  await assert.rejects(store.openWriter('../escape'), (err) => isMarinaError(err, 'Invalid'));
});
