import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import {
  familiarizeReference,
  familiarName,
  normalizeReference,
  parseReference,
  parseReferenceLoose,
} from './reference.ts';

const hex = 'a'.repeat(64);
const digest = `sha256:${hex}`;

test('normalizes like docker', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['me/app', 'docker.io/me/app:latest'],
    ['me/team/app:v1', 'docker.io/me/team/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag'],
    ['registry.example.com/x', 'registry.example.com/x:latest'],
    ['127.0.0.1:5000/x:1', '127.0.0.1:5000/x:1'],
    ['[::1]:5000/x', '[::1]:5000/x:latest'],
    [`busybox@${digest}`, `docker.io/library/busybox@${digest}`],
    [`busybox:1@${digest}`, `docker.io/library/busybox:1@${digest}`],
    ['a.b-c/e--f', 'a.b-c/e--f:latest'],
    ['x/a__b.c-d', 'docker.io/x/a__b.c-d:latest'],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeReference(input), expected, input);
});

test('parses into parts', () => {
  assert.deepEqual(parseReference('localhost:5000/a/b:tag'), {
    domain: 'localhost:5000',
    path: 'a/b',
    tag: 'tag',
  });
  assert.deepEqual(parseReference(`x@${digest}`), { domain: 'docker.io', path: 'library/x', digest });
  assert.deepEqual(parseReferenceLoose('x'), { domain: 'docker.io', path: 'library/x' });
});

test('familiar form strips docker.io and library/', () => {
  assert.equal(familiarizeReference('docker.io/library/busybox:latest'), 'busybox:latest');
  assert.equal(familiarizeReference('docker.io/me/app:1'), 'me/app:1');
  assert.equal(familiarizeReference('docker.io/library/a/b:1'), 'library/a/b:1');
  assert.equal(familiarizeReference('localhost:5000/a:b'), 'localhost:5000/a:b');
  assert.equal(familiarName(parseReference(`busybox@${digest}`)), `busybox@${digest}`);
});

test('rejects malformed references, naming the bad part', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['Busybox', /component "Busybox"/],
    ['me/App', /component "App"/],
    ['a//b', /component ""/],
    ['a/-b', /component "-b"/],
    ['a/b_', /component "b_"/],
    ['busybox:', /tag ""/],
    ['busybox:-x', /tag "-x"/],
    [`busybox:${'t'.repeat(129)}`, /tag "t+"/],
    ['busybox@sha256:abc', /digest "sha256:abc"/],
    [`busybox@md5:${hex}`, /digest "md5:/],
    [`busybox@sha256:${'A'.repeat(64)}`, /digest/],
    ['bad_host:5000/x', /registry "bad_host:5000"/],
    [':tag', /empty/],
    [hex, /64 hex/],
    [`a/${'b'.repeat(260)}`, /longer than 255/],
    ['a b', /component "a b"/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(
      () => parseReference(input),
      (err) => isMarinaError(err, 'Invalid') && pattern.test(err.message),
      `${input} should be refused with ${pattern}`,
    );
  }
});

test('tag accepts word characters, dots and dashes', () => {
  assert.equal(parseReference('x:V1.2-rc_3').tag, 'V1.2-rc_3');
  assert.equal(parseReference(`x:${'t'.repeat(128)}`).tag, 't'.repeat(128));
});
