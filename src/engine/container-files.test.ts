import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import tar from 'tar-stream';
import { ContainerFiles, locate } from './container-files.ts';

test('locate picks the longest mount target that holds the path', () => {
  const mounts = [
    { target: '/data', source: '/vol/data' },
    { target: '/data/deep', source: '/vol/deep' },
    { target: '/etc/hostname', source: '/bundle/hostname' },
  ];
  assert.deepEqual(locate('/rootfs', mounts, '/data/deep/x'), { root: '/vol/deep', rest: '/x' });
  assert.deepEqual(locate('/rootfs', mounts, '/data/x'), { root: '/vol/data', rest: '/x' });
  assert.deepEqual(locate('/rootfs', mounts, '/database'), { root: '/rootfs', rest: '/database' });
  assert.deepEqual(locate('/rootfs', mounts, '/etc/hostname'), { root: '/bundle/hostname', rest: '/' });
  assert.deepEqual(locate('/rootfs', mounts, 'etc/../data'), { root: '/vol/data', rest: '/' });
});

async function tempRoot(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'marina-files-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function entriesOf(stream: Readable): Promise<Map<string, string>> {
  const extract = tar.extract();
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  const found = new Map<string, string>();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
    found.set(entry.header.name, entry.header.type === 'symlink' ? `-> ${entry.header.linkname}` : Buffer.concat(chunks).toString());
  }
  return found;
}

test('stat and pack: files, directories, symlinks that stay inside the root', async (t) => {
  const root = await tempRoot(t);
  await mkdir(join(root, 'etc/sub'), { recursive: true });
  await writeFile(join(root, 'etc/hostname'), 'box\n');
  await writeFile(join(root, 'etc/sub/a'), 'A');
  await symlink('/etc', join(root, 'link'));
  const files = new ContainerFiles(root, [], 'ctr');

  const stat = await files.stat('/etc/hostname');
  assert.equal(stat.name, 'hostname');
  assert.equal(stat.size, 4);
  assert.equal(stat.linkTarget, '');
  assert.equal((await files.stat('/link')).linkTarget, '/etc');

  assert.deepEqual([...(await entriesOf((await files.pack('/etc/hostname')).tar))], [['hostname', 'box\n']]);
  assert.deepEqual(
    [...(await entriesOf((await files.pack('/link/sub/')).tar))],
    [['sub', ''], ['sub/a', 'A']],
  );
  assert.deepEqual([...(await entriesOf((await files.pack('/link')).tar))], [['link', '-> /etc']]);
  await assert.rejects(files.stat('/nope'), { code: 'NotFound', message: 'Could not find the file /nope in container ctr' });
});

test('extract unpacks into an existing directory and refuses a file as the extraction point', async (t) => {
  const root = await tempRoot(t);
  await mkdir(join(root, 'tmp'));
  await writeFile(join(root, 'file'), 'x');
  const pack = tar.pack();
  // The process's own owner, so that the test also runs without root.
  pack.entry({ name: 'new.txt', uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }, 'hello');
  pack.finalize();
  const files = new ContainerFiles(root, [], 'ctr');
  await files.extract('/tmp', Readable.from(pack as unknown as AsyncIterable<Buffer>), { keepOwners: true });
  assert.equal((await files.stat('/tmp/new.txt')).size, 5);
  await assert.rejects(files.extract('/file', Readable.from([])), { code: 'Invalid', message: /not a directory/ });
});
