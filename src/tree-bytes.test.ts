import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { treeBytes } from './tree-bytes.ts';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'marina-tree-bytes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('sums file sizes through nested directories, directories themselves count nothing', async (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, 'a/b/c'), { recursive: true });
  writeFileSync(join(dir, 'top'), Buffer.alloc(1000));
  writeFileSync(join(dir, 'a/b/c/deep'), Buffer.alloc(24));
  writeFileSync(join(dir, 'a/empty'), '');
  assert.equal(await treeBytes(dir), 1024);
});

test('a hard-linked file counts once; a symlink counts its own length, not its target', async (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'data'), Buffer.alloc(4096));
  linkSync(join(dir, 'data'), join(dir, 'sub/again'));
  symlinkSync('data', join(dir, 'link'));
  assert.equal(await treeBytes(dir), 4096 + 'data'.length);
});

test('a missing tree is 0 bytes', async (t) => {
  assert.equal(await treeBytes(join(scratch(t), 'gone')), 0);
});
