import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { ancestorsOf, deviceAllowedAt, normalizeLayerPath, whiteoutMeaning } from './layer-paths.ts';

const refusedAs = (pattern: RegExp) => (err: unknown) => isMarinaError(err, 'Invalid') && pattern.test(err.message);

describe('normalizeLayerPath', () => {
  it('strips leading slashes and dot segments', () => {
    assert.equal(normalizeLayerPath('/etc/passwd'), 'etc/passwd');
    assert.equal(normalizeLayerPath('./usr//bin/./sh'), 'usr/bin/sh');
    assert.equal(normalizeLayerPath('bin/'), 'bin');
  });

  it('maps the root entry to the empty path', () => {
    assert.equal(normalizeLayerPath('./'), '');
    assert.equal(normalizeLayerPath('/'), '');
  });

  it('resolves .. that stays inside the layer', () => {
    assert.equal(normalizeLayerPath('a/b/../c'), 'a/c');
    assert.equal(normalizeLayerPath('a/..'), '');
  });

  it('refuses every .. that climbs above the root, naming the entry', () => {
    for (const name of ['../x', 'a/../../x', '/../etc/passwd', '..', './../x', 'a/b/../../../x']) {
      assert.throws(() => normalizeLayerPath(name), refusedAs(/escapes the layer root/), name);
      assert.throws(() => normalizeLayerPath(name), (err: Error) => err.message.includes(JSON.stringify(name)));
    }
  });

  it('refuses NUL bytes', () => {
    assert.throws(() => normalizeLayerPath('a\0b'), refusedAs(/NUL/));
  });
});

describe('ancestorsOf', () => {
  it('lists parents outermost first', () => {
    assert.deepEqual(ancestorsOf('a/b/c'), ['a', 'a/b']);
    assert.deepEqual(ancestorsOf('a'), []);
  });
});

describe('whiteoutMeaning', () => {
  it('reads a whiteout as the path it hides', () => {
    assert.deepEqual(whiteoutMeaning('etc/.wh.passwd'), { kind: 'whiteout', path: 'etc/passwd' });
    assert.deepEqual(whiteoutMeaning('.wh.top'), { kind: 'whiteout', path: 'top' });
  });

  it('reads the opaque marker as its directory', () => {
    assert.deepEqual(whiteoutMeaning('var/cache/.wh..wh..opq'), { kind: 'opaque', dir: 'var/cache' });
    assert.deepEqual(whiteoutMeaning('.wh..wh..opq'), { kind: 'opaque', dir: '' });
  });

  it('ignores other aufs metadata and leaves ordinary names alone', () => {
    assert.deepEqual(whiteoutMeaning('.wh..wh.plnk/123'), undefined);
    assert.deepEqual(whiteoutMeaning('.wh..wh.plnk'), { kind: 'ignore' });
    assert.equal(whiteoutMeaning('etc/passwd'), undefined);
    assert.equal(whiteoutMeaning('etc/x.wh.y'), undefined);
  });

  it('refuses whiteouts that name no file', () => {
    assert.throws(() => whiteoutMeaning('a/.wh.'), refusedAs(/names no file/));
    assert.throws(() => whiteoutMeaning('a/.wh...'), refusedAs(/names no file/));
  });
});

describe('deviceAllowedAt', () => {
  it('accepts only paths below dev/', () => {
    assert.equal(deviceAllowedAt('dev/null'), true);
    assert.equal(deviceAllowedAt('dev/pts/0'), true);
    assert.equal(deviceAllowedAt('dev'), false);
    assert.equal(deviceAllowedAt('etc/null'), false);
    assert.equal(deviceAllowedAt('device'), false);
  });
});
