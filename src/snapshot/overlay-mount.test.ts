import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { mountPoints, overlayOptions, unescapeMountField } from './overlay-mount.ts';

describe('overlayOptions', () => {
  it('names lowers by short relative links, topmost first', () => {
    assert.equal(overlayOptions(3), 'lowerdir=l/0:l/1:l/2,upperdir=upper,workdir=work');
  });

  it('uses an empty lower directory for an image without layers', () => {
    assert.equal(overlayOptions(0), 'lowerdir=empty,upperdir=upper,workdir=work');
  });

  it('stays within one page for the deepest stack overlayfs allows', () => {
    assert.ok(overlayOptions(500).length < 4096);
    assert.throws(() => overlayOptions(501), (err) => isMarinaError(err, 'Unsupported'));
  });
});

describe('mountPoints', () => {
  it('reads field 5 of mountinfo and undoes octal escapes', () => {
    const info = [
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '90 22 0:45 / /tmp/a\\040b/merged rw,relatime - overlay overlay rw,lowerdir=l/0',
      '',
    ].join('\n');
    assert.deepEqual([...mountPoints(info)], ['/', '/tmp/a b/merged']);
  });

  it('unescapes backslashes and tabs', () => {
    assert.equal(unescapeMountField('a\\134b\\011c'), 'a\\b\tc');
  });
});
