import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { addEntry, type EntryHeader } from '../../image/tar-entries.ts';
import { extractTarContext, openDirectoryContext } from './build-context.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'marina-context-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function tarOf(entries: [EntryHeader, string?][]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const [header, data] of entries)
    await addEntry(pack, header, data === undefined ? undefined : Buffer.from(data));
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

test('a directory context applies its .dockerignore; a missing or non-directory path is refused', async (t) => {
  const root = tempDir(t);
  writeFileSync(join(root, '.dockerignore'), '# build output\nout\n');
  const context = await openDirectoryContext(root);
  assert.equal(context.root, root);
  assert.equal(context.isIgnored('out/x'), true);
  assert.equal(context.isIgnored('src/x'), false);
  await context.dispose();
  assert.ok(existsSync(root), 'dispose never removes a user directory');

  await assert.rejects(openDirectoryContext(join(root, 'missing')), {
    code: 'NotFound',
    message: /does not exist/,
  });
  writeFileSync(join(root, 'file'), '');
  await assert.rejects(openDirectoryContext(join(root, 'file')), {
    code: 'Invalid',
    message: /not a directory/,
  });
  mkdirSync(join(root, 'bad'));
  mkdirSync(join(root, 'bad/.dockerignore'));
  await assert.rejects(openDirectoryContext(join(root, 'bad')), {
    code: 'Invalid',
    message: /\.dockerignore/,
  });
});

test('a tar context (gzip or plain) is extracted with modes, links and its .dockerignore', async (t) => {
  const scratch = tempDir(t);
  const archive = await tarOf([
    [{ name: '.dockerignore', mode: 0o644 }, '*.log\n'],
    [{ name: 'Dockerfile', mode: 0o644 }, 'FROM busybox\n'],
    [{ name: 'bin/', type: 'directory', mode: 0o555 }],
    [{ name: 'bin/run.sh', mode: 0o755 }, '#!/bin/sh\n'],
    [{ name: 'bin/run-again.sh', type: 'link', linkname: 'bin/run.sh' }],
    [{ name: 'deep/er/file', mode: 0o600 }, 'x'],
    [{ name: 'etc-link', type: 'symlink', linkname: '/etc' }],
    [{ name: 'debug.log', mode: 0o644 }, 'noise'],
  ]);
  for (const bytes of [archive, gzipSync(archive)]) {
    const context = await extractTarContext(Readable.from([bytes]), scratch);
    assert.ok(context.root.startsWith(scratch));
    assert.equal(readFileSync(join(context.root, 'Dockerfile'), 'utf8'), 'FROM busybox\n');
    assert.equal(lstatSync(join(context.root, 'bin')).mode & 0o7777, 0o555);
    assert.equal(lstatSync(join(context.root, 'bin/run.sh')).mode & 0o7777, 0o755);
    assert.equal(lstatSync(join(context.root, 'deep/er/file')).mode & 0o7777, 0o600);
    assert.equal(
      lstatSync(join(context.root, 'bin/run-again.sh')).ino,
      lstatSync(join(context.root, 'bin/run.sh')).ino,
    );
    assert.equal(readlinkSync(join(context.root, 'etc-link')), '/etc');
    assert.equal(context.isIgnored('debug.log'), true);
    await context.dispose();
    assert.equal(existsSync(context.root), false);
  }
  assert.deepEqual(readdirSync(scratch), []);
});

test('tar entries that could reach outside the context are refused and nothing is left behind', async (t) => {
  const scratch = tempDir(t);
  const refused: [string, [EntryHeader, string?][], RegExp][] = [
    ['dot-dot', [[{ name: '../evil' }, 'x']], /contains "\.\."/],
    ['nested dot-dot', [[{ name: 'a/../../evil' }, 'x']], /contains "\.\."/],
    ['absolute', [[{ name: '/etc/evil' }, 'x']], /absolute path/],
    ['hard link out', [[{ name: 'h', type: 'link', linkname: '../../etc/passwd' }]], /contains "\.\."/],
    ['hard link absolute', [[{ name: 'h', type: 'link', linkname: '/etc/passwd' }]], /absolute path/],
    [
      'hard link through a symlink',
      [
        [{ name: 'l', type: 'symlink', linkname: '/etc' }],
        [{ name: 'h', type: 'link', linkname: 'l/passwd' }],
      ],
      /not a file earlier in the archive/,
    ],
    [
      'write through a symlink',
      [[{ name: 'l', type: 'symlink', linkname: '/tmp' }], [{ name: 'l/evil' }, 'x']],
      /"l" to be a directory, but the archive has a symlink there/,
    ],
    [
      'device node',
      [[{ name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 }]],
      /character-device/,
    ],
  ];
  for (const [what, entries, message] of refused) {
    await assert.rejects(
      extractTarContext(Readable.from([await tarOf(entries)]), scratch),
      { code: 'Invalid', message },
      what,
    );
  }
  assert.deepEqual(readdirSync(scratch), [], 'refused contexts are removed');
  assert.equal(existsSync('/tmp/evil'), false);
});

test('a stream that is not a tar archive is refused as Invalid', async (t) => {
  const scratch = tempDir(t);
  await assert.rejects(
    extractTarContext(Readable.from([Buffer.from('FROM busybox\n'.repeat(100))]), scratch),
    {
      code: 'Invalid',
      message: /not a readable tar archive/,
    },
  );
  await assert.rejects(extractTarContext(Readable.from([Buffer.from([0x1f, 0x8b, 1, 2, 3])]), scratch), {
    code: 'Invalid',
    message: /not a readable tar archive/,
  });
  assert.deepEqual(readdirSync(scratch), []);
});
