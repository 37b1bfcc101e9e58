import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  benchDockerfile,
  editedContent,
  expectedSourcesDigest,
  sourceFileBytes,
  sourceFiles,
  writeBuildContext,
} from './build-context.ts';

test('sourceFiles: 3,000 distinct 1 KiB files, at most 30 per directory, nested two deep under src/', () => {
  const files = sourceFiles(3000);
  assert.equal(files.length, 3000);
  assert.equal(new Set(files.map((f) => f.path)).size, 3000);
  assert.equal(new Set(files.map((f) => f.content)).size, 3000);
  assert.ok(files.every((f) => Buffer.byteLength(f.content) === sourceFileBytes));
  const dirs = new Map<string, number>();
  for (const f of files) {
    assert.match(f.path, /^src\/pkg\d\d\/mod\d\d\/file\d{3}\.txt$/);
    const dir = f.path.slice(0, f.path.lastIndexOf('/'));
    dirs.set(dir, (dirs.get(dir) ?? 0) + 1);
  }
  assert.equal(dirs.size, 100);
  assert.ok([...dirs.values()].every((n) => n <= 30));
});

test('sourceFiles: the same count gives the same bytes (every run and builder builds the same context)', () => {
  assert.deepEqual(sourceFiles(50), sourceFiles(50));
});

test('editedContent changes the file differently for every edit', () => {
  const [file] = sourceFiles(1);
  assert.notEqual(editedContent(file!, 1), file!.content);
  assert.notEqual(editedContent(file!, 1), editedContent(file!, 2));
});

test('the Dockerfile is multi-stage FROM busybox and copies the sources', () => {
  assert.equal(benchDockerfile.match(/^FROM busybox/gm)?.length, 2);
  assert.match(benchDockerfile, /^COPY src\/ /m);
  assert.match(benchDockerfile, /^COPY --from=build /m);
});

test("expectedSourcesDigest is what the Dockerfile's find | sort | xargs cat | md5sum prints", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-bench-context-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Out of order on purpose: the digest must not depend on the order the files are listed in.
  const files = sourceFiles(70).reverse();
  writeBuildContext(dir, files);
  assert.equal(readFileSync(join(dir, 'Dockerfile'), 'utf8'), benchDockerfile);
  assert.equal(readdirSync(join(dir, 'src')).length, 1);
  assert.equal(statSync(join(dir, files[0]!.path)).size, sourceFileBytes);
  const printed = execFileSync('sh', ['-c', 'find src -type f | sort | xargs cat | md5sum'], {
    cwd: dir,
    env: { ...process.env, LC_ALL: 'C' },
    encoding: 'utf8',
  });
  assert.equal(printed.trim(), expectedSourcesDigest(files));
});
