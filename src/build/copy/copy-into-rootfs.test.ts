import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { rootfsTree, type SourceTree } from '../context/source-tree.ts';
import { resolveSources } from '../context/sources.ts';
import { type CopyOptions, copyIntoRootfs, writeHeredocFile } from './copy-into-rootfs.ts';

/** Unit tests run without root: everything is owned by whoever runs them (root tests: test/build-copy.test.ts). */
const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

interface Fixture {
  context: SourceTree;
  rootfs: string;
  /** Writes a context file (parents created). */
  file(relative: string, content?: string): string;
  copy(sources: string[], dest: string, options?: Partial<CopyOptions>): Promise<void>;
  read(pathInImage: string): string;
}

function fixture(t: TestContext): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'marina-copy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const contextDir = join(dir, 'context');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(contextDir);
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  const context = rootfsTree(contextDir);
  return {
    context,
    rootfs,
    file(relative, content = `${relative}\n`) {
      const path = join(contextDir, relative);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    async copy(sources, dest, options = {}) {
      const matches = await resolveSources(context, sources, options.extractArchives ? 'ADD' : 'COPY');
      await copyIntoRootfs(rootfs, context, matches, { dest, workdir: '/', owner: me, extractArchives: false, ...options });
    },
    read: (pathInImage) => readFileSync(join(rootfs, pathInImage), 'utf8'),
  };
}

test('a file goes inside a destination ending in / and to a new name otherwise', async (t) => {
  const f = fixture(t);
  f.file('a.txt', 'A');
  await f.copy(['a.txt'], '/app/');
  assert.equal(f.read('app/a.txt'), 'A');
  await f.copy(['a.txt'], 'renamed', { workdir: '/srv/data' });
  assert.equal(f.read('srv/data/renamed'), 'A');
  assert.equal(statSync(join(f.rootfs, 'srv')).mode & 0o7777, 0o755, 'missing parents are created 0755');
  // An existing directory receives the file even without a trailing /.
  await f.copy(['a.txt'], '/etc');
  assert.equal(f.read('etc/a.txt'), 'A');
});

test('a directory source copies its contents, keeping modes and mtimes', async (t) => {
  const f = fixture(t);
  const script = f.file('src/bin/run.sh', '#!/bin/sh\n');
  execFileSync('chmod', ['0750', script]);
  utimesSync(script, 1_000_000, 1_000_000);
  f.file('src/readme', 'r');
  symlinkSync('bin/run.sh', join(f.context.root, 'src/link'));
  utimesSync(join(f.context.root, 'src/bin'), 2_000_000, 2_000_000);
  await f.copy(['src'], '/opt/app');
  assert.equal(f.read('opt/app/readme'), 'r');
  assert.equal(f.read('opt/app/bin/run.sh'), '#!/bin/sh\n');
  const copied = statSync(join(f.rootfs, 'opt/app/bin/run.sh'));
  assert.equal(copied.mode & 0o7777, 0o750);
  assert.equal(copied.mtimeMs, 1_000_000_000);
  assert.equal(statSync(join(f.rootfs, 'opt/app/bin')).mtimeMs, 2_000_000_000, 'directory mtimes survive their children');
  assert.equal(readlinkSync(join(f.rootfs, 'opt/app/link')), 'bin/run.sh', 'symlinks are copied as links');
  assert.equal(lstatSync(join(f.rootfs, 'opt/src'), { throwIfNoEntry: false }), undefined, 'not the directory itself');
});

test('a glob with several matches copies each into a directory, and needs a trailing /', async (t) => {
  const f = fixture(t);
  f.file('one.txt', '1');
  f.file('two.txt', '2');
  f.file('other.md', 'x');
  await f.copy(['*.txt'], '/data/');
  assert.equal(f.read('data/one.txt'), '1');
  assert.equal(f.read('data/two.txt'), '2');
  assert.equal(lstatSync(join(f.rootfs, 'data/other.md'), { throwIfNoEntry: false }), undefined);
  await assert.rejects(f.copy(['*.txt'], '/single'), {
    code: 'Invalid',
    message: /more than one source file, the destination must be a directory and end with a \//,
  });
  await assert.rejects(f.copy(['one.txt', 'other.md'], '/single'), { code: 'Invalid' });
  assert.equal(lstatSync(join(f.rootfs, 'single'), { throwIfNoEntry: false }), undefined, 'bad input changes nothing');
});

test('symlinks of the image resolve inside the rootfs, never on the host', async (t) => {
  const f = fixture(t);
  f.file('passwd', 'mine');
  f.file('dir/inner', 'in');
  symlinkSync('/etc', join(f.rootfs, 'app'));
  symlinkSync('../../../../../../../../tmp', join(f.rootfs, 'up'));
  await f.copy(['passwd'], '/app/');
  assert.equal(f.read('etc/passwd'), 'mine', 'the link to /etc is the rootfs /etc');
  await f.copy(['dir'], '/up/x');
  assert.equal(f.read('tmp/x/inner'), 'in', 'a link climbing up stops at the rootfs root');
});

test('a file replaces an existing symlink instead of writing through it', async (t) => {
  const f = fixture(t);
  f.file('conf', 'new');
  writeFileSync(join(f.rootfs, 'etc/target'), 'untouched');
  symlinkSync('/etc/target', join(f.rootfs, 'etc/conf'));
  await f.copy(['conf'], '/etc/conf');
  assert.equal(lstatSync(join(f.rootfs, 'etc/conf')).isSymbolicLink(), false);
  assert.equal(f.read('etc/conf'), 'new');
  assert.equal(f.read('etc/target'), 'untouched');
  // Inside a directory copy too.
  f.file('tree/target', 'from tree');
  symlinkSync('/etc/passwd-host', join(f.rootfs, 'etc/target2'));
  mkdirSync(join(f.rootfs, 'dest'));
  symlinkSync('/etc/target', join(f.rootfs, 'dest/target'));
  await f.copy(['tree'], '/dest');
  assert.equal(f.read('dest/target'), 'from tree');
  assert.equal(f.read('etc/target'), 'untouched');
});

test('--chmod applies to copied files and directories', async (t) => {
  const f = fixture(t);
  f.file('tree/sub/file', 'x');
  await f.copy(['tree'], '/t', { mode: 0o700 });
  assert.equal(statSync(join(f.rootfs, 't/sub/file')).mode & 0o7777, 0o700);
  assert.equal(statSync(join(f.rootfs, 't/sub')).mode & 0o7777, 0o700);
  assert.equal(statSync(join(f.rootfs, 't')).mode & 0o7777, 0o700, 'the created destination too');
});

test('a directory cannot replace a file, nor a file a directory', async (t) => {
  const f = fixture(t);
  f.file('tree/etc', 'file named like a directory');
  await assert.rejects(f.copy(['tree'], '/'), { code: 'Invalid', message: /directory \/etc/ });
  f.file('d/x', 'x');
  writeFileSync(join(f.rootfs, 'afile'), '');
  await assert.rejects(f.copy(['d'], '/afile'), { code: 'Invalid', message: /the image has a file there/ });
});

test('a heredoc is written like a COPY of a file with that name', async (t) => {
  const f = fixture(t);
  const options: CopyOptions = { dest: '/usr/local/bin/', workdir: '/', owner: me, extractArchives: false };
  await writeHeredocFile(f.rootfs, 'hello', 'echo hi\n', options);
  assert.equal(f.read('usr/local/bin/hello'), 'echo hi\n');
  assert.equal(statSync(join(f.rootfs, 'usr/local/bin/hello')).mode & 0o7777, 0o644);
  await writeHeredocFile(f.rootfs, 'EOF', 'two\n', { ...options, dest: 'run.sh', workdir: '/w', mode: 0o755 });
  assert.equal(f.read('w/run.sh'), 'two\n');
  assert.equal(statSync(join(f.rootfs, 'w/run.sh')).mode & 0o7777, 0o755);
});
