import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowedMethods, parseRegistryPath, requiredAccess } from './route-table.ts';

const digest = `sha256:${'a'.repeat(64)}`;

test('fixed paths', () => {
  assert.deepEqual(parseRegistryPath('/v2/'), { kind: 'base' });
  assert.deepEqual(parseRegistryPath('/v2'), { kind: 'base' });
  assert.deepEqual(parseRegistryPath('/v2/_catalog'), { kind: 'catalog' });
  assert.deepEqual(parseRegistryPath('/auth/token'), { kind: 'token' });
});

test('repository names keep their slashes', () => {
  assert.deepEqual(parseRegistryPath('/v2/team/app/web/manifests/v1.2'), {
    kind: 'manifest',
    name: 'team/app/web',
    reference: 'v1.2',
  });
  assert.deepEqual(parseRegistryPath('/v2/a/b/tags/list'), { kind: 'tags', name: 'a/b' });
  assert.deepEqual(parseRegistryPath(`/v2/a/b/referrers/${digest}`), {
    kind: 'referrers',
    name: 'a/b',
    digest,
  });
});

test('uploads are told apart from blobs, with or without the trailing slash', () => {
  assert.deepEqual(parseRegistryPath('/v2/a/b/blobs/uploads/'), { kind: 'uploads', name: 'a/b' });
  assert.deepEqual(parseRegistryPath('/v2/a/b/blobs/uploads'), { kind: 'uploads', name: 'a/b' });
  assert.deepEqual(parseRegistryPath('/v2/a/blobs/uploads/1234-abcd'), {
    kind: 'upload',
    name: 'a',
    uuid: '1234-abcd',
  });
  assert.deepEqual(parseRegistryPath(`/v2/a/blobs/${digest}`), { kind: 'blob', name: 'a', digest });
});

test('a repository may contain a component named like an endpoint (the last one wins)', () => {
  assert.deepEqual(parseRegistryPath('/v2/x/manifests/y/manifests/latest'), {
    kind: 'manifest',
    name: 'x/manifests/y',
    reference: 'latest',
  });
});

test('an escaped digest is decoded; a malformed escape or an unknown path names nothing', () => {
  assert.deepEqual(parseRegistryPath(`/v2/a/blobs/${encodeURIComponent(digest)}`), {
    kind: 'blob',
    name: 'a',
    digest,
  });
  assert.equal(parseRegistryPath('/v2/a/blobs/%E0%A4%A'), undefined);
  assert.equal(parseRegistryPath('/v1/images'), undefined);
  assert.equal(parseRegistryPath('/v2/a/manifests/'), undefined);
  assert.equal(parseRegistryPath('/v2/a/unknown/x'), undefined);
});

test('required access follows the method; uploads (even cancelling) need push', () => {
  const manifest = { kind: 'manifest', name: 'a/b', reference: 'latest' } as const;
  assert.deepEqual(requiredAccess(manifest, 'GET'), { type: 'repository', name: 'a/b', actions: ['pull'] });
  assert.deepEqual(requiredAccess(manifest, 'HEAD'), { type: 'repository', name: 'a/b', actions: ['pull'] });
  assert.deepEqual(requiredAccess(manifest, 'PUT'), { type: 'repository', name: 'a/b', actions: ['push'] });
  assert.deepEqual(requiredAccess(manifest, 'DELETE'), {
    type: 'repository',
    name: 'a/b',
    actions: ['delete'],
  });
  assert.deepEqual(requiredAccess({ kind: 'upload', name: 'a', uuid: 'u' }, 'DELETE'), {
    type: 'repository',
    name: 'a',
    actions: ['push'],
  });
  assert.deepEqual(requiredAccess({ kind: 'upload', name: 'a', uuid: 'u' }, 'GET'), {
    type: 'repository',
    name: 'a',
    actions: ['push'],
  });
  assert.deepEqual(requiredAccess({ kind: 'catalog' }, 'GET'), {
    type: 'registry',
    name: 'catalog',
    actions: ['*'],
  });
  assert.deepEqual(requiredAccess({ kind: 'base' }, 'GET'), { type: 'base' });
  assert.equal(requiredAccess({ kind: 'token' }, 'POST'), undefined);
});

test('allowed methods per route', () => {
  assert.deepEqual(allowedMethods({ kind: 'uploads', name: 'a' }), ['POST']);
  assert.ok(allowedMethods({ kind: 'blob', name: 'a', digest }).includes('HEAD'));
  assert.ok(!allowedMethods({ kind: 'tags', name: 'a' }).includes('DELETE'));
});
