import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { resolveUser } from './user.ts';

const files = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\n# comment\nwww:x:33:33::/var/www:/bin/false\nbob:x:1000:1000::/home/bob:/bin/sh\n',
  group: 'root:x:0:\nwww:x:33:bob\nstaff:x:50:bob,alice\nbob:x:1000:\naudio:x:29:www\n',
};

test('empty user is root with root’s groups', () => {
  assert.deepEqual(resolveUser('', files), { uid: 0, gid: 0, additionalGids: [] });
});

test('name and uid resolve through passwd, with supplementary groups', () => {
  assert.deepEqual(resolveUser('bob', files), { uid: 1000, gid: 1000, additionalGids: [33, 50] });
  assert.deepEqual(resolveUser('33', files), { uid: 33, gid: 33, additionalGids: [29] });
});

test('a numeric uid without passwd entry runs with gid 0', () => {
  assert.deepEqual(resolveUser('4242', files), { uid: 4242, gid: 0, additionalGids: [] });
  assert.deepEqual(resolveUser('4242', { passwd: '', group: '' }), { uid: 4242, gid: 0, additionalGids: [] });
});

test('uid:gid and name:group', () => {
  assert.deepEqual(resolveUser('1000:50', files), { uid: 1000, gid: 50, additionalGids: [33, 50] });
  assert.deepEqual(resolveUser('www:staff', files), { uid: 33, gid: 50, additionalGids: [29] });
  assert.deepEqual(resolveUser('7:8', { passwd: '', group: '' }), { uid: 7, gid: 8, additionalGids: [] });
});

test('unknown names are Invalid with Docker’s messages', () => {
  assert.throws(
    () => resolveUser('xyz', files),
    (err: unknown) => isMarinaError(err, 'Invalid') && err.message === 'unable to find user xyz: no matching entries in passwd file',
  );
  assert.throws(
    () => resolveUser('bob:nogroup', files),
    (err: unknown) => isMarinaError(err, 'Invalid') && err.message === 'unable to find group nogroup: no matching entries in group file',
  );
  assert.throws(() => resolveUser('a:b:c', files), (err: unknown) => isMarinaError(err, 'Invalid'));
});
