import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquirePidLock, judgeLockHolder } from './pid-lock.ts';

test('judges a lock file: absent, live owner, dead owner, garbage, our own pid', () => {
  const alive = (pid: number) => pid === 42;
  assert.deepEqual(judgeLockHolder(undefined, alive, 1), { kind: 'none' });
  assert.deepEqual(judgeLockHolder('42\n', alive, 1), { kind: 'live', pid: 42 });
  assert.deepEqual(judgeLockHolder('43\n', alive, 1), { kind: 'stale' });
  assert.deepEqual(judgeLockHolder('not a pid', alive, 1), { kind: 'stale' });
  assert.deepEqual(judgeLockHolder('42', alive, 42), { kind: 'stale' });
});

test('takes a free lock, refuses a live one, replaces a stale one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'marinad.lock');

  const release = acquirePidLock(path, dir);
  assert.equal(readFileSync(path, 'utf8').trim(), String(process.pid));
  release();

  // pid 1 is always alive: a live owner.
  writeFileSync(path, '1\n');
  assert.throws(() => acquirePidLock(path, dir), { code: 'Conflict', message: /pid 1\b.*--root/ });

  // A pid far above pid_max cannot be alive: stale.
  writeFileSync(path, '999999999\n');
  acquirePidLock(path, dir)();
});
