import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { fieldSelectorMatches, fieldValue, parseFieldSelector } from './field-selector.ts';

const podFields = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'];
const pod = {
  metadata: { name: 'web-1', namespace: 'default' },
  spec: { nodeName: 'node-a' },
  status: { phase: 'Running' },
};

test('equality and inequality on the supported fields', () => {
  const selector = parseFieldSelector(
    'metadata.name=web-1,spec.nodeName==node-a,status.phase!=Pending',
    podFields,
  );
  assert.deepEqual(selector, [
    { field: 'metadata.name', operator: '=', value: 'web-1' },
    { field: 'spec.nodeName', operator: '=', value: 'node-a' },
    { field: 'status.phase', operator: '!=', value: 'Pending' },
  ]);
  assert.equal(fieldSelectorMatches(selector, pod), true);
  assert.equal(fieldSelectorMatches(parseFieldSelector('status.phase!=Running', podFields), pod), false);
  assert.equal(fieldSelectorMatches(parseFieldSelector('', podFields), pod), true);
});

test('an absent field is the empty string, so spec.nodeName= finds unscheduled pods', () => {
  const unscheduled = { metadata: { name: 'p' }, spec: {} };
  assert.equal(fieldValue(unscheduled, 'spec.nodeName'), '');
  assert.equal(fieldSelectorMatches(parseFieldSelector('spec.nodeName=', podFields), unscheduled), true);
  assert.equal(fieldSelectorMatches(parseFieldSelector('spec.nodeName=', podFields), pod), false);
  assert.equal(fieldValue({ spec: { unschedulable: true } }, 'spec.unschedulable'), 'true');
});

test('unsupported fields and malformed clauses are Invalid', () => {
  assert.throws(
    () => parseFieldSelector('spec.hostname=x', podFields),
    (err) => isMarinaError(err, 'Invalid') && /field label not supported: spec.hostname/.test(err.message),
  );
  assert.throws(
    () => parseFieldSelector('status.phase', podFields),
    (err) => isMarinaError(err, 'Invalid'),
  );
});
