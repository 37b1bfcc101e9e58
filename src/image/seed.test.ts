import assert from 'node:assert/strict';
import { test } from 'node:test';
import tar from 'tar-stream';
import { busyboxRootfs, debianMirror } from './seed.ts';

async function entryHeaders(data: Buffer): Promise<tar.Header[]> {
  const extract = tar.extract();
  const headers: tar.Header[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      headers.push(entry.header);
      entry.resume();
    }
  })();
  extract.end(data);
  await done;
  return headers;
}

test('busybox rootfs is deterministic and has the expected layout', async () => {
  const binary = Buffer.from('not really busybox');
  const applets = ['bin/sh', 'usr/bin/wget', 'sbin/ifconfig', 'usr/local/bin/extra'];
  const first = await busyboxRootfs(binary, applets, new Date(0));
  const second = await busyboxRootfs(binary, [...applets], new Date(0));
  assert.ok(first.equals(second), 'same inputs give the same bytes');

  const headers = await entryHeaders(first);
  const names = headers.map((h) => h.name);
  assert.deepEqual(names, [...names].sort(), 'entries are sorted');
  const byName = new Map(headers.map((h) => [h.name, h]));
  assert.equal(byName.get('bin/sh')?.type, 'symlink');
  assert.equal(byName.get('bin/sh')?.linkname, '/bin/busybox');
  assert.equal(byName.get('bin/busybox')?.mode, 0o755);
  assert.equal(byName.get('tmp')?.mode, 0o1777);
  assert.equal(byName.get('usr/local')?.type, 'directory', 'parents of applets exist');
  for (const dir of ['dev', 'proc', 'sys', 'root', 'var', 'home', 'etc'])
    assert.equal(byName.get(dir)?.type, 'directory', dir);
  for (const h of headers) {
    assert.equal(h.uid, 0);
    assert.equal(h.gid, 0);
    assert.equal(h.mtime.getTime(), 0);
  }
});

test('debianMirror reads one-line and deb822 sources', () => {
  const list =
    '# comment\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64] http://one.example/debian bookworm main\n';
  assert.equal(debianMirror([list], 'bookworm'), 'http://one.example/debian');
  const deb822 =
    'Types: deb\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\n\nTypes: deb deb-src\nURIs: http://two.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n';
  assert.equal(debianMirror([deb822], 'bookworm'), 'http://two.example/debian');
  assert.equal(debianMirror([deb822], 'trixie'), undefined);
});
