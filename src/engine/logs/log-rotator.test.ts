import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { LogRotator, planRotation } from './log-rotator.ts';

const limits = { maxBytes: 100, maxFiles: 3 };

test('nothing to do while the live file is within the limit', () => {
  assert.deepEqual(planRotation(100, [1, 2], limits), []);
});

test('first rotation renames the live file to .1', () => {
  assert.deepEqual(planRotation(101, [], limits), [{ kind: 'rename', from: 0, to: 1 }]);
});

test('keeps maxFiles files in total: the oldest is deleted, the rest shift, oldest first', () => {
  assert.deepEqual(planRotation(500, [1, 2], limits), [
    { kind: 'delete', index: 2 },
    { kind: 'rename', from: 1, to: 2 },
    { kind: 'rename', from: 0, to: 1 },
  ]);
});

test('leftovers beyond the limit (from a larger old setting) are deleted; gaps are fine', () => {
  assert.deepEqual(planRotation(500, [1, 4, 7], limits), [
    { kind: 'delete', index: 7 },
    { kind: 'delete', index: 4 },
    { kind: 'rename', from: 1, to: 2 },
    { kind: 'rename', from: 0, to: 1 },
  ]);
});

test('with one file allowed the live file is deleted', () => {
  assert.deepEqual(planRotation(500, [], { maxBytes: 100, maxFiles: 1 }), [{ kind: 'delete', index: 0 }]);
});

test('bad limits are Invalid', () => {
  const opts = { reopen: async () => {}, logger: { warn: () => {} } };
  assert.throws(() => new LogRotator({ ...opts, maxBytes: 10, maxFiles: 0 }), (e) => isMarinaError(e, 'Invalid'));
  assert.throws(() => new LogRotator({ ...opts, maxBytes: 0, maxFiles: 2 }), (e) => isMarinaError(e, 'Invalid'));
});

test('the rotator renames over-size logs on disk and asks for a reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-rotate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logPath = join(dir, 'ctr.log');
  const reopened: string[] = [];
  const rotator = new LogRotator({
    ...limits,
    reopen: async (id) => {
      reopened.push(id);
      writeFileSync(logPath, '');
    },
    logger: { warn: () => {} },
  });
  rotator.track('c1', logPath);
  rotator.track('gone', join(dir, 'missing.log'));
  writeFileSync(logPath, 'a'.repeat(101));
  writeFileSync(`${logPath}.1`, 'older');
  writeFileSync(`${logPath}.2`, 'oldest');
  await rotator.checkAll();
  assert.deepEqual(reopened, ['c1']);
  assert.equal(readFileSync(`${logPath}.1`, 'utf8'), 'a'.repeat(101));
  assert.equal(readFileSync(`${logPath}.2`, 'utf8'), 'older');
  assert.equal(existsSync(`${logPath}.3`), false);
  assert.equal(readFileSync(logPath, 'utf8'), '');
  await rotator.checkAll();
  assert.deepEqual(reopened, ['c1'], 'a small live file is left alone');
  await rotator.stop();
});
