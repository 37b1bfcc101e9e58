import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildXattrDump, isToleratedXattrFailure, parseSetfattrErrors, quoteForDump, xattrsFromPax } from './xattrs.ts';

describe('xattrsFromPax', () => {
  it('keeps SCHILY.xattr records and ignores other PAX keys', () => {
    const { keep, skipped } = xattrsFromPax('etc/x', { 'SCHILY.xattr.user.foo': 'bar', path: 'etc/x', mtime: '1' });
    assert.deepEqual(keep, [{ name: 'user.foo', value: Buffer.from('bar') }]);
    assert.deepEqual(skipped, []);
  });

  it('skips overlay-private, host-label and lossily decoded values, saying why', () => {
    const { keep, skipped } = xattrsFromPax('f', {
      'SCHILY.xattr.trusted.overlay.redirect': '/etc',
      'SCHILY.xattr.security.selinux': 'system_u:object_r:bin_t:s0',
      'SCHILY.xattr.security.capability': '\u0001\u0000\u0000\u0002\uFFFD',
    });
    assert.deepEqual(keep, []);
    assert.deepEqual(
      skipped.map((s) => [s.name, s.reason]),
      [
        ['trusted.overlay.redirect', 'overlay-private'],
        ['security.selinux', 'host-label'],
        ['security.capability', 'binary-value-lost'],
      ],
    );
  });

  it('returns nothing for entries without PAX records', () => {
    assert.deepEqual(xattrsFromPax('f', null), { keep: [], skipped: [] });
  });
});

describe('buildXattrDump', () => {
  it('writes setfattr restore blocks with hex values and quoted paths', () => {
    const dump = buildXattrDump(
      new Map([
        ['a b', [{ name: 'user.x', value: Buffer.from([0, 255]) }]],
        ['empty', []],
        ['.', [{ name: 'trusted.overlay.opaque', value: Buffer.from('y') }]],
      ]),
    );
    assert.equal(dump, '# file: a\\040b\nuser.x=0x00ff\n\n# file: .\ntrusted.overlay.opaque=0x79\n');
  });

  it('quotes backslash, = and newlines', () => {
    assert.equal(quoteForDump('a\\b=c\nd'), 'a\\134b\\075c\\012d');
    assert.equal(quoteForDump('é'), '\\303\\251');
  });
});

describe('setfattr errors', () => {
  it('parses per-file errors and tolerates only unsupported namespaces', () => {
    const failures = parseSetfattrErrors('setfattr: bin/sh: Operation not permitted\nsetfattr: x: No space left on device\n');
    assert.deepEqual(failures, [
      { path: 'bin/sh', message: 'Operation not permitted' },
      { path: 'x', message: 'No space left on device' },
    ]);
    assert.deepEqual(failures.map(isToleratedXattrFailure), [true, false]);
  });
});
