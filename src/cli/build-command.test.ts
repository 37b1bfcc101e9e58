/** The pure parts of `marina build`: --build-arg, --label and --progress decoding, and what stdin holds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MarinaError } from '../errors.ts';
import { parseBuildArgs, parseLabels, progressMode, stdinKind } from './build-command.ts';

const isInvalid = (err: unknown) => err instanceof MarinaError && err.code === 'Invalid';

test('--build-arg K=V sets, bare K comes from the environment or is left out', () => {
  assert.deepEqual(parseBuildArgs(['A=1', 'B=x=y', 'C=', 'HOME', 'UNSET'], { HOME: '/root' }), {
    A: '1',
    B: 'x=y',
    C: '',
    HOME: '/root',
  });
  for (const bad of ['=1', '', 'A B=1']) assert.throws(() => parseBuildArgs([bad], {}), isInvalid, bad);
});

test('--label K=V, bare K is empty; --progress auto follows the terminal; quiet wins', () => {
  assert.deepEqual(parseLabels(['a=1', 'b']), { a: '1', b: '' });
  assert.throws(() => parseLabels(['=x']), isInvalid);
  assert.equal(progressMode('auto', false, true), 'tty');
  assert.equal(progressMode('auto', false, false), 'plain');
  assert.equal(progressMode('tty', false, false), 'tty');
  assert.equal(progressMode('plain', true, true), 'quiet');
  assert.throws(() => progressMode('fancy', false, true), isInvalid);
});

test('stdin is a tar (ustar magic or gzip) or else a Dockerfile; bzip2 and xz are refused', () => {
  const tar = Buffer.alloc(512);
  tar.write('ustar', 257, 'latin1');
  assert.equal(stdinKind(tar), 'tar');
  assert.equal(stdinKind(Buffer.from([0x1f, 0x8b, 8, 0])), 'tar');
  assert.equal(stdinKind(Buffer.from('FROM busybox\nRUN echo hi\n')), 'dockerfile');
  assert.equal(stdinKind(Buffer.alloc(0)), 'dockerfile');
  assert.throws(() => stdinKind(Buffer.from('BZh91AY')), /bzip2 or xz/);
  assert.throws(() => stdinKind(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1])), /bzip2 or xz/);
});
