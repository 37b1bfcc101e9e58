/** Registry users and anonymous-pull patterns in a real state database; the input checks. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { StateDb } from '../../../db/state-db.ts';
import { isMarinaError } from '../../../errors.ts';
import { checkAnonymousPattern, checkPassword, checkUserName } from './access-input.ts';
import { RegistryAccessStore } from './access-store.ts';

function openStore(t: TestContext): { store: RegistryAccessStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'marina-registry-access-'));
  const path = join(dir, 'state.db');
  const db = new StateDb(path);
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store: new RegistryAccessStore(db), path };
}

const isCode = (code: 'Invalid' | 'Conflict' | 'NotFound') => (err: unknown) => isMarinaError(err, code);

test('checkUserName, checkPassword, checkAnonymousPattern', () => {
  for (const good of ['alice', 'a', 'ci-bot_2.x', '0', 'a'.repeat(64)])
    assert.equal(checkUserName(good), good);
  for (const bad of ['', 'Alice', '-a', '.a', 'a:b', 'a b', 'a'.repeat(65)]) {
    assert.throws(() => checkUserName(bad), isCode('Invalid'), bad);
  }
  assert.equal(checkPassword('x'.repeat(72)), 'x'.repeat(72));
  assert.throws(() => checkPassword(''), isCode('Invalid'));
  // 36 two-byte characters are 72 bytes; one more is over bcrypt's limit.
  assert.equal(checkPassword('é'.repeat(36)).length, 36);
  assert.throws(() => checkPassword('é'.repeat(37)), /74 bytes.*72/);
  for (const good of ['*', 'app', 'team/app', 'team/*', 'a/b/*'])
    assert.equal(checkAnonymousPattern(good), good);
  for (const bad of ['', 'App', 'team/', 'team*', '*/app', 'team/**', '/*']) {
    assert.throws(() => checkAnonymousPattern(bad), isCode('Invalid'), bad);
  }
});

test('users: add, list (no hashes), verify passwords, duplicate is Conflict, remove, unknown is NotFound', async (t) => {
  const { store } = openStore(t);
  const alice = await store.addUser('alice', 'secret');
  assert.equal(alice.pullOnly, false);
  await store.addUser('bob', 'hunter2', { pullOnly: true });
  const users = await store.listUsers();
  assert.deepEqual(
    users.map((u) => [u.name, u.pullOnly]),
    [
      ['alice', false],
      ['bob', true],
    ],
  );
  assert.equal(JSON.stringify(users).includes('$2'), false, 'no bcrypt hash leaves the store');
  assert.match(store.findUser('alice')!.passwordHash, /^\$2[aby]\$10\$/);
  assert.equal((await store.verifyPassword('alice', 'secret'))?.name, 'alice');
  assert.equal(await store.verifyPassword('alice', 'Secret'), undefined);
  assert.equal(await store.verifyPassword('nobody', 'secret'), undefined);
  await assert.rejects(store.addUser('alice', 'other'), isCode('Conflict'));
  await assert.rejects(store.addUser('Bad Name', 'x'), isCode('Invalid'));
  await store.removeUser('alice');
  assert.equal(store.findUser('alice'), undefined);
  await assert.rejects(store.removeUser('alice'), isCode('NotFound'));
});

test('anonymous-pull patterns: add, list sorted, duplicate is Conflict, remove, unknown is NotFound', async (t) => {
  const { store } = openStore(t);
  await store.addAnonymousPull('team/*');
  await store.addAnonymousPull('app');
  assert.deepEqual(await store.listAnonymousPull(), ['app', 'team/*']);
  await assert.rejects(store.addAnonymousPull('app'), isCode('Conflict'));
  await assert.rejects(store.addAnonymousPull('team/'), isCode('Invalid'));
  await store.removeAnonymousPull('app');
  assert.deepEqual(store.anonymousPatterns(), ['team/*']);
  await assert.rejects(store.removeAnonymousPull('app'), isCode('NotFound'));
});

test('users and patterns survive reopening the database', async (t) => {
  const { store, path } = openStore(t);
  await store.addUser('alice', 'secret');
  await store.addAnonymousPull('*');
  const db = new StateDb(path);
  t.after(() => db.close());
  const reopened = new RegistryAccessStore(db);
  assert.equal((await reopened.verifyPassword('alice', 'secret'))?.name, 'alice');
  assert.deepEqual(reopened.anonymousPatterns(), ['*']);
});
