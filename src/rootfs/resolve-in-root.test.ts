import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveInRoot } from './resolve-in-root.ts';

test('symlinks resolve inside the root, never above it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'marina-root-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'real/dir'), { recursive: true });
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync('../../..', join(root, 'real/dir/up'));
  symlinkSync('real', join(root, 'rel'));
  symlinkSync('loop', join(root, 'loop'));

  assert.equal(await resolveInRoot(root, '/etc-link/passwd'), join(root, 'etc/passwd'));
  assert.equal(await resolveInRoot(root, 'real/dir/up/x'), join(root, 'x'));
  assert.equal(await resolveInRoot(root, '/../../x'), join(root, 'x'));
  assert.equal(await resolveInRoot(root, '/rel/dir/new/file'), join(root, 'real/dir/new/file'));
  assert.equal(await resolveInRoot(root, '/rel', { followFinal: false }), join(root, 'rel'));
  await assert.rejects(resolveInRoot(root, '/loop'), { code: 'Invalid' });
});
