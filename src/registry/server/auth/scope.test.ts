/** Token scopes: several parameters, several scopes in one, names with colons, merged duplicates. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../../errors.ts';
import { formatScope, parseScopes } from './scope.ts';

test('parseScopes: one scope per parameter and several separated by spaces', () => {
  assert.deepEqual(parseScopes(['repository:app:pull,push', 'registry:catalog:* repository:team/db:pull']), [
    { type: 'repository', name: 'app', actions: ['pull', 'push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
    { type: 'repository', name: 'team/db', actions: ['pull'] },
  ]);
});

test('parseScopes: a name with a port keeps its colon; a resource class is dropped', () => {
  assert.deepEqual(parseScopes(['repository(plugin):localhost:5000/app:pull']), [
    { type: 'repository', name: 'localhost:5000/app', actions: ['pull'] },
  ]);
});

test('parseScopes: the same resource twice merges its actions without repeats', () => {
  assert.deepEqual(parseScopes(['repository:app:pull', 'repository:app:push,pull']), [
    { type: 'repository', name: 'app', actions: ['pull', 'push'] },
  ]);
});

test('parseScopes: nothing asked is no scope; empty actions are kept as none', () => {
  assert.deepEqual(parseScopes([]), []);
  assert.deepEqual(parseScopes(['  ']), []);
  assert.deepEqual(parseScopes(['repository:app:']), [{ type: 'repository', name: 'app', actions: [] }]);
});

test('parseScopes: a scope without type, name and actions is Invalid', () => {
  for (const bad of ['repository', 'repository:app', ':app:pull', 'repository::pull']) {
    assert.throws(
      () => parseScopes([bad]),
      (err) => isMarinaError(err, 'Invalid'),
      bad,
    );
  }
});

test('formatScope is the inverse of parsing', () => {
  const scope = 'repository:localhost:5000/app:pull,push';
  assert.equal(formatScope(parseScopes([scope])[0]!), scope);
});
