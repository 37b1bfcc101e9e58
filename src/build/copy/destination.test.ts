import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSourceCount, fileNameOfUrl, parseDestination } from './destination.ts';

test('the destination is relative to WORKDIR and a trailing / or . makes it a directory', () => {
  assert.deepEqual(parseDestination('app/', '/srv'), { path: '/srv/app', isDirectory: true });
  assert.deepEqual(parseDestination('app', '/srv'), { path: '/srv/app', isDirectory: false });
  assert.deepEqual(parseDestination('.', '/srv'), { path: '/srv', isDirectory: true });
  assert.deepEqual(parseDestination('/etc/x/.', '/srv'), { path: '/etc/x', isDirectory: true });
  assert.deepEqual(parseDestination('/', '/srv'), { path: '/', isDirectory: true });
  assert.deepEqual(parseDestination('../../..', '/srv'), { path: '/', isDirectory: false });
  assert.throws(() => parseDestination('', '/'), { code: 'Invalid' });
});

test('several sources need a directory destination written with a trailing /', () => {
  checkSourceCount(1, parseDestination('/a', '/'));
  checkSourceCount(2, parseDestination('/a/', '/'));
  assert.throws(() => checkSourceCount(2, parseDestination('/a', '/')), {
    code: 'Invalid',
    message: 'When using COPY with more than one source file, the destination must be a directory and end with a /',
  });
});

test('a download is named after the last segment of the URL path', () => {
  assert.equal(fileNameOfUrl(new URL('https://example.com/a/b/tool.tar.gz?x=1')), 'tool.tar.gz');
  assert.equal(fileNameOfUrl(new URL('https://example.com/a/my%20file')), 'my file');
  assert.equal(fileNameOfUrl(new URL('https://example.com/a/b%2Fc')), 'c');
  assert.equal(fileNameOfUrl(new URL('https://example.com')), '__unnamed__');
  assert.equal(fileNameOfUrl(new URL('https://example.com/%')), '%');
});
