import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileLabelSelector, compileNodeSelectorTerm, compileNodeSelectorTerms } from './selectors.ts';
import type { NodeView } from './types.ts';

test('an absent label selector selects nothing, an empty one everything', () => {
  assert.equal(compileLabelSelector(undefined).matches({ app: 'web' }), false);
  assert.equal(compileLabelSelector({}).matches({}), true);
  assert.equal(compileLabelSelector({}).matches({ app: 'web' }), true);
});

test('matchLabels and matchExpressions must all hold', () => {
  const selector = compileLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['front', 'edge'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'team', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(selector.matches({ app: 'web', tier: 'edge', team: 'a' }), true);
  assert.equal(selector.matches({ app: 'web', tier: 'edge', team: 'a', env: 'prod' }), true);
  assert.equal(selector.matches({ app: 'db', tier: 'edge', team: 'a' }), false, 'matchLabels');
  assert.equal(selector.matches({ app: 'web', tier: 'back', team: 'a' }), false, 'In');
  assert.equal(selector.matches({ app: 'web', tier: 'edge', team: 'a', env: 'dev' }), false, 'NotIn');
  assert.equal(selector.matches({ app: 'web', tier: 'edge' }), false, 'Exists');
  assert.equal(selector.matches({ app: 'web', tier: 'edge', team: 'a', legacy: '' }), false, 'DoesNotExist');
  assert.equal(
    compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Near' }] }).matches({ a: '1' }),
    false,
  );
});

test('a selector names a label every match carries when it pins one', () => {
  assert.deepEqual(compileLabelSelector({ matchLabels: { app: 'web' } }).requiredLabel, ['app', 'web']);
  assert.deepEqual(
    compileLabelSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] })
      .requiredLabel,
    ['app', 'db'],
  );
  assert.equal(
    compileLabelSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] })
      .requiredLabel,
    undefined,
  );
});

const node = (name: string, labels: Record<string, string>): NodeView => ({ metadata: { name, labels } });

test('node selector terms: operators including Gt and Lt, fields, ORed terms', () => {
  const big = node('n1', { cpus: '16', zone: 'a' });
  const small = node('n2', { cpus: '4', zone: 'b' });
  const gt8 = compileNodeSelectorTerm({ matchExpressions: [{ key: 'cpus', operator: 'Gt', values: ['8'] }] });
  assert.equal(gt8(big), true);
  assert.equal(gt8(small), false);
  const lt8 = compileNodeSelectorTerm({ matchExpressions: [{ key: 'cpus', operator: 'Lt', values: ['8'] }] });
  assert.equal(lt8(small), true);
  assert.equal(lt8(node('n3', { cpus: 'many' })), false, 'a non-integer label never compares');
  assert.equal(lt8(node('n3', {})), false);
  const byName = compileNodeSelectorTerm({
    matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }],
  });
  assert.equal(byName(small), true);
  assert.equal(byName(big), false);
  assert.equal(compileNodeSelectorTerm({})(big), false, 'an empty term matches nothing');
  const either = compileNodeSelectorTerms([
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
    { matchExpressions: [{ key: 'cpus', operator: 'Lt', values: ['5'] }] },
  ]);
  assert.equal(either(big), true);
  assert.equal(either(small), true);
  assert.equal(either(node('n3', { zone: 'c', cpus: '6' })), false);
  assert.equal(compileNodeSelectorTerms([])(big), false);
});
