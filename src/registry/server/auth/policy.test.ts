/** The access policy as a table, the grant intersection, and the allow / challenge / deny decision. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allowedActions,
  decideAccess,
  grantAccess,
  heldActions,
  matchesPattern,
  type Subject,
} from './policy.ts';

const anonymous: Subject = { kind: 'anonymous' };
const alice: Subject = { kind: 'user', name: 'alice', pullOnly: false };
const reader: Subject = { kind: 'user', name: 'reader', pullOnly: true };
const repo = (name: string) => ({ type: 'repository', name });
const catalog = { type: 'registry', name: 'catalog' };

test('matchesPattern: exact name, prefix/* for what is under the prefix, * for everything', () => {
  assert.equal(matchesPattern('app', 'app'), true);
  assert.equal(matchesPattern('app', 'app2'), false);
  assert.equal(matchesPattern('team/*', 'team/app'), true);
  assert.equal(matchesPattern('team/*', 'team/sub/app'), true);
  assert.equal(matchesPattern('team/*', 'team'), false);
  assert.equal(matchesPattern('team/*', 'teammate/app'), false);
  assert.equal(matchesPattern('*', 'any/thing'), true);
});

test('allowedActions: the policy table', () => {
  const patterns = ['public/*'];
  const table: [Subject, { type: string; name: string }, string[]][] = [
    [anonymous, repo('public/app'), ['pull']],
    [anonymous, repo('private/app'), []],
    [anonymous, catalog, []],
    [reader, repo('private/app'), ['pull']],
    [reader, repo('public/app'), ['pull']],
    [reader, catalog, []],
    [alice, repo('private/app'), ['pull', 'push', 'delete']],
    [alice, catalog, ['*']],
    [alice, { type: 'registry', name: 'other' }, []],
    [alice, { type: 'plugin', name: 'x' }, []],
  ];
  for (const [subject, resource, expected] of table) {
    assert.deepEqual(
      allowedActions(subject, resource, patterns),
      expected,
      `${JSON.stringify(subject)} ${resource.type}:${resource.name}`,
    );
  }
});

test('grantAccess: the intersection of asked and allowed; resources with nothing left are dropped', () => {
  const requested = [
    { type: 'repository', name: 'public/app', actions: ['pull', 'push'] },
    { type: 'repository', name: 'private/app', actions: ['pull'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ];
  assert.deepEqual(grantAccess(anonymous, requested, ['public/*']), [
    { type: 'repository', name: 'public/app', actions: ['pull'] },
  ]);
  assert.deepEqual(grantAccess(alice, requested, []), requested);
});

test('heldActions: what a token grants on one resource', () => {
  const access = [
    { type: 'repository', name: 'app', actions: ['pull'] },
    { type: 'repository', name: 'db', actions: ['push'] },
  ];
  assert.deepEqual(heldActions(access, repo('app')), ['pull']);
  assert.deepEqual(heldActions(access, repo('web')), []);
});

const push = { type: 'repository', name: 'app', actions: ['push'] };

test('decideAccess: granted actions are allowed', () => {
  const verdict = decideAccess({
    subject: alice,
    credential: 'token',
    held: ['pull', 'push'],
    allowed: [],
    required: push,
  });
  assert.deepEqual(verdict, { kind: 'allowed' });
});

test('decideAccess: a token lacking what the user could get is a 401 insufficient scope', () => {
  const verdict = decideAccess({
    subject: alice,
    credential: 'token',
    held: ['pull'],
    allowed: ['pull', 'push', 'delete'],
    required: push,
  });
  assert.equal(verdict.kind, 'challenge');
  assert.equal(verdict.kind === 'challenge' && verdict.insufficientScope, true);
});

test('decideAccess: a pull-only user or an anonymous token pushing is denied', () => {
  const byReader = decideAccess({
    subject: reader,
    credential: 'basic',
    held: ['pull'],
    allowed: ['pull'],
    required: push,
  });
  assert.equal(byReader.kind, 'denied');
  assert.match(byReader.kind === 'denied' ? byReader.message : '', /user reader may only pull/);
  const byAnonymousToken = decideAccess({
    subject: anonymous,
    credential: 'token',
    held: [],
    allowed: [],
    required: push,
  });
  assert.equal(byAnonymousToken.kind, 'denied');
  assert.match(byAnonymousToken.kind === 'denied' ? byAnonymousToken.message : '', /anonymous push .*log in/);
});

test('decideAccess: without credentials, what only users get is a challenge so that clients log in', () => {
  const verdict = decideAccess({
    subject: anonymous,
    credential: 'none',
    held: [],
    allowed: [],
    required: push,
  });
  assert.equal(verdict.kind, 'challenge');
  assert.equal(verdict.kind === 'challenge' && verdict.insufficientScope, false);
});
