import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { openDirectoryContext } from './build-context.ts';
import { rootfsTree, type SourceTree } from './source-tree.ts';
import { hashSources, resolveSources, walkMatch } from './sources.ts';

/** A temporary tree from `files` (path → content; a trailing `/` makes a directory), removed after the test. */
function makeTree(t: TestContext, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'marina-sources-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, content] of Object.entries(files)) {
    if (path.endsWith('/')) mkdirSync(join(root, path), { recursive: true });
    else {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
    }
  }
  return root;
}

async function relatives(tree: SourceTree, sources: string[]) {
  return (await resolveSources(tree, sources, 'COPY')).map((m) => [m.relative, m.isDirectory]);
}

async function walked(tree: SourceTree, source: string): Promise<string[]> {
  const [match] = await resolveSources(tree, [source], 'COPY');
  const result: string[] = [];
  for await (const entry of walkMatch(tree, match!)) result.push(entry.relative);
  return result;
}

test('plain sources resolve in order; `.` and `/` are the root', async (t) => {
  const tree = rootfsTree(makeTree(t, { 'b.txt': 'b', 'a/x': 'x', 'a/y/': '' }));
  assert.deepEqual(await relatives(tree, ['b.txt', './a/', '/a/x']), [
    ['b.txt', false],
    ['a', true],
    ['a/x', false],
  ]);
  const [whole] = await resolveSources(tree, ['.'], 'COPY');
  assert.deepEqual(whole, { relative: '', path: tree.root, isDirectory: true });
  assert.deepEqual(await relatives(tree, ['/']), [['', true]]);
  assert.deepEqual(await relatives(tree, ['a/../b.txt']), [['b.txt', false]]);
});

test('wildcards match per segment, sorted, like Go filepath.Glob', async (t) => {
  const tree = rootfsTree(
    makeTree(t, {
      'b.txt': '',
      'a.txt': '',
      'c.md': '',
      '.h.txt': '',
      'd1/f.go': '',
      'd2/f.go': '',
      'd2/g.c': '',
    }),
  );
  assert.deepEqual(await relatives(tree, ['*.txt']), [
    ['.h.txt', false],
    ['a.txt', false],
    ['b.txt', false],
  ]);
  assert.deepEqual(await relatives(tree, ['d*/*.go', '[ab].txt']), [
    ['d1/f.go', false],
    ['d2/f.go', false],
    ['a.txt', false],
    ['b.txt', false],
  ]);
  assert.deepEqual(await relatives(tree, ['d?']), [
    ['d1', true],
    ['d2', true],
  ]);
  await assert.rejects(resolveSources(tree, ['*.none'], 'ADD'), {
    code: 'Invalid',
    message: 'ADD failed: file not found in build context or excluded by .dockerignore: "*.none"',
  });
  await assert.rejects(resolveSources(tree, ['[a'], 'COPY'), {
    code: 'Invalid',
    message: /syntax error in pattern/,
  });
});

test('paths outside the root and missing paths are refused with Docker messages', async (t) => {
  const tree = rootfsTree(makeTree(t, { 'a/x': '' }));
  for (const source of ['../x', 'a/../../x', '..']) {
    await assert.rejects(resolveSources(tree, [source], 'COPY'), {
      code: 'Invalid',
      message: `COPY failed: forbidden path outside the build context: ${source}`,
    });
  }
  await assert.rejects(resolveSources(tree, ['a', 'missing'], 'COPY'), {
    code: 'Invalid',
    message: 'COPY failed: file not found in build context or excluded by .dockerignore: "missing"',
  });
  await assert.rejects(resolveSources(tree, ['a/x/'], 'COPY'), {
    code: 'Invalid',
    message: /file not found/,
  });
});

test('symlinks are followed inside the root, never out of it', async (t) => {
  const outside = makeTree(t, { secret: 'host secret' });
  const root = makeTree(t, { 'etc/passwd': 'context passwd', 'real/file': 'r' });
  symlinkSync('/etc', join(root, 'abs-link'));
  symlinkSync('../../../../../../etc/passwd', join(root, 'up-link'));
  symlinkSync(join(outside, 'secret'), join(root, 'to-secret'));
  symlinkSync('real', join(root, 'rel-dir'));
  const tree = rootfsTree(root);
  const [abs, up, dir] = await resolveSources(tree, ['abs-link/passwd', 'up-link', 'rel-dir'], 'COPY');
  assert.equal(abs?.path, join(root, 'etc/passwd'));
  assert.equal(up?.path, join(root, 'etc/passwd'));
  assert.deepEqual(dir, { relative: 'rel-dir', path: join(root, 'real'), isDirectory: true });
  // The host file the link names is not in the tree, so it is not found rather than read.
  await assert.rejects(resolveSources(tree, ['to-secret'], 'COPY'), {
    code: 'Invalid',
    message: /file not found/,
  });
});

test('.dockerignore hides sources and walk entries; exceptions re-include below excluded directories', async (t) => {
  const root = makeTree(t, {
    '.dockerignore': '*.md\n!README.md\n**/tmp\nnode_modules\n!node_modules/keep\ndocs\n!docs/api/*.txt\n',
    'README.md': '',
    'NOTES.md': '',
    'src/a.ts': '',
    'src/tmp/x': '',
    'src/z.md': '',
    'node_modules/dep/index.js': '',
    'node_modules/keep/index.js': '',
    'docs/guide.txt': '',
    'docs/api/ref.txt': '',
  });
  const context = await openDirectoryContext(root);
  t.after(() => context.dispose());
  assert.equal(context.isIgnored('NOTES.md'), true);
  await assert.rejects(resolveSources(context, ['NOTES.md'], 'COPY'), {
    message: /excluded by \.dockerignore: "NOTES.md"/,
  });
  await assert.rejects(resolveSources(context, ['src/tmp'], 'COPY'), { code: 'Invalid' });
  assert.deepEqual(await relatives(context, ['*.md']), [['README.md', false]]);
  assert.deepEqual(await walked(context, 'src'), ['', 'a.ts', 'z.md']);
  // An excluded directory is still a source when an exception keeps something below it.
  assert.deepEqual(await walked(context, 'docs'), ['', 'api', 'api/ref.txt']);
  assert.deepEqual(await walked(context, '.'), [
    '',
    '.dockerignore',
    'README.md',
    'docs',
    'docs/api',
    'docs/api/ref.txt',
    'node_modules',
    'node_modules/keep',
    'node_modules/keep/index.js',
    'src',
    'src/a.ts',
    'src/z.md',
  ]);
});

test('rootfs trees ignore nothing and walk symlinks as entries', async (t) => {
  const root = makeTree(t, { '.dockerignore': '*', 'd/b': '', 'd/a/c': '' });
  symlinkSync('/nowhere', join(root, 'd/link'));
  const tree = rootfsTree(root);
  assert.deepEqual(await walked(tree, 'd'), ['', 'a', 'a/c', 'b', 'link']);
  assert.deepEqual(await walked(tree, 'd/b'), ['']);
});

test('the digest of sources follows content, mode, names and links, not mtime', async (t) => {
  const root = makeTree(t, { 'app/main.js': 'console.log(1)', 'app/lib/util.js': 'x', 'other.txt': 'o' });
  symlinkSync('main.js', join(root, 'app/entry'));
  const tree = rootfsTree(root);
  const digestOf = async (sources = ['app']) =>
    hashSources(tree, await resolveSources(tree, sources, 'COPY'));
  const first = await digestOf();
  assert.match(first, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await digestOf(), first);

  utimesSync(join(root, 'app/main.js'), new Date(2000, 1, 1), new Date(2000, 1, 1));
  assert.equal(await digestOf(), first, 'mtime is not part of the digest');

  writeFileSync(join(root, 'app/main.js'), 'console.log(2)');
  const changedContent = await digestOf();
  assert.notEqual(changedContent, first);
  writeFileSync(join(root, 'app/main.js'), 'console.log(1)');
  assert.equal(await digestOf(), first, 'same content again gives the same digest');

  chmodSync(join(root, 'app/lib/util.js'), 0o755);
  const changedMode = await digestOf();
  assert.notEqual(changedMode, first);
  chmodSync(join(root, 'app/lib/util.js'), 0o644);
  assert.equal(await digestOf(), first);

  rmSync(join(root, 'app/entry'));
  symlinkSync('lib/util.js', join(root, 'app/entry'));
  assert.notEqual(await digestOf(), first, 'a symlink target is part of the digest');
  rmSync(join(root, 'app/entry'));
  symlinkSync('main.js', join(root, 'app/entry'));

  mkdirSync(join(root, 'app/empty'));
  assert.notEqual(await digestOf(), first, 'a new empty directory is copied too');
  rmSync(join(root, 'app/empty'), { recursive: true });
  assert.equal(await digestOf(), first);

  const renamed = makeTree(t, { 'app/main2.js': 'console.log(1)', 'app/lib/util.js': 'x' });
  symlinkSync('main.js', join(renamed, 'app/entry'));
  const renamedTree = rootfsTree(renamed);
  assert.notEqual(await hashSources(renamedTree, await resolveSources(renamedTree, ['app'], 'COPY')), first);

  assert.notEqual(
    await digestOf(['app', 'other.txt']),
    await digestOf(['other.txt', 'app']),
    'order of sources matters',
  );
});

test('the digest of a context leaves out ignored files', async (t) => {
  const root = makeTree(t, { '.dockerignore': 'logs\n', a: 'a', 'logs/1.log': '1' });
  const context = await openDirectoryContext(root);
  const digest = async () => hashSources(context, await resolveSources(context, ['.'], 'COPY'));
  const before = await digest();
  writeFileSync(join(root, 'logs/2.log'), '2');
  assert.equal(await digest(), before);
  writeFileSync(join(root, 'a'), 'b');
  assert.notEqual(await digest(), before);
});
