import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { FieldPath, formatFieldError } from './field-errors.ts';
import {
  labelSelectorMatches,
  parseLabelSelector,
  selectorFromLabelSelector,
  selectorMatches,
  validateLabelSelector,
} from './label-selector.ts';

const web = { app: 'web', tier: 'frontend', env: 'prod' };

test('matchLabels and matchExpressions are ANDed', () => {
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'staging'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'tier', operator: 'Exists' },
      { key: 'track', operator: 'NotIn', values: ['beta'] },
    ],
  };
  assert.equal(labelSelectorMatches(selector, web), true);
  assert.equal(labelSelectorMatches(selector, { ...web, canary: 'yes' }), false);
  assert.equal(labelSelectorMatches(selector, { ...web, env: 'dev' }), false);
  assert.equal(labelSelectorMatches(selector, { ...web, track: 'beta' }), false);
  assert.equal(labelSelectorMatches(selector, { app: 'web', env: 'prod' }), false);
});

test('an empty selector selects everything, an absent one nothing', () => {
  assert.equal(labelSelectorMatches({}, web), true);
  assert.equal(labelSelectorMatches({}, undefined), true);
  assert.equal(labelSelectorMatches(undefined, web), false);
});

test('the string form parses every operator', () => {
  const requirements = parseLabelSelector(
    'app=web, tier!=cache,env in (prod, staging),!canary,release, track notin (beta),x==y',
  );
  assert.deepEqual(requirements, [
    { key: 'app', operator: 'In', values: ['web'] },
    { key: 'tier', operator: 'NotIn', values: ['cache'] },
    { key: 'env', operator: 'In', values: ['prod', 'staging'] },
    { key: 'canary', operator: 'DoesNotExist', values: [] },
    { key: 'release', operator: 'Exists', values: [] },
    { key: 'track', operator: 'NotIn', values: ['beta'] },
    { key: 'x', operator: 'In', values: ['y'] },
  ]);
  assert.equal(selectorMatches(parseLabelSelector('app=web,env in (prod,staging),!canary'), web), true);
  assert.equal(selectorMatches(parseLabelSelector('tier!=frontend'), web), false);
  assert.equal(selectorMatches(parseLabelSelector('tier!=frontend'), { app: 'x' }), true);
  assert.equal(
    selectorMatches(parseLabelSelector('example.com/role=db'), { 'example.com/role': 'db' }),
    true,
  );
  assert.equal(selectorMatches(parseLabelSelector('gen>2'), { gen: '3' }), true);
  assert.equal(selectorMatches(parseLabelSelector('gen<2'), { gen: '3' }), false);
  assert.deepEqual(parseLabelSelector(''), []);
  assert.equal(selectorMatches(parseLabelSelector(''), web), true);
});

test('malformed string selectors are Invalid', () => {
  for (const bad of ['app=web,', 'env in (a,b', 'a=b=c', 'Bad Key=x', 'gen>two', 'app=-bad-', '=x']) {
    assert.throws(
      () => parseLabelSelector(bad),
      (err) => isMarinaError(err, 'Invalid'),
      bad,
    );
  }
});

test('structured selectors with a bad operator or values fail validation with the field path', () => {
  const errors = validateLabelSelector(
    {
      matchLabels: { 'bad key': 'v' },
      matchExpressions: [
        { key: 'a', operator: 'In', values: [] },
        { key: 'b', operator: 'Exists', values: ['x'] },
        { key: 'c', operator: 'Near', values: ['x'] },
      ],
    },
    new FieldPath('spec').child('selector'),
  ).map(formatFieldError);
  assert.equal(errors.length, 4);
  assert.match(errors[0]!, /^spec\.selector\.matchLabels: Invalid value: "bad key"/);
  assert.match(errors[1]!, /^spec\.selector\.matchExpressions\[0\]\.values: Required value/);
  assert.match(errors[2]!, /^spec\.selector\.matchExpressions\[1\]\.values: Forbidden/);
  assert.match(errors[3]!, /^spec\.selector\.matchExpressions\[2\]\.operator: Unsupported value: "Near"/);
  assert.throws(
    () => selectorFromLabelSelector({ matchExpressions: [{ key: 'c', operator: 'Near' }] }),
    (err) => isMarinaError(err, 'Invalid'),
  );
});
