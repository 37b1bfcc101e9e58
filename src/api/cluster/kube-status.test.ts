import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MarinaError } from '../../errors.ts';
import { kubeStatus } from './kube-status.ts';

test("Status objects carry Kubernetes' reason and code; a handler's more specific reason sets its own code", () => {
  const of = (err: unknown) => {
    const { code, body } = kubeStatus(err);
    return [code, body.reason, body.code];
  };
  assert.deepEqual(of(new MarinaError('Invalid', 'bad')), [422, 'Invalid', 422]);
  assert.deepEqual(of(new MarinaError('Invalid', 'bad', { details: { reason: 'BadRequest' } })), [400, 'BadRequest', 400]);
  assert.deepEqual(of(new MarinaError('Conflict', 'dup', { details: { reason: 'AlreadyExists' } })), [409, 'AlreadyExists', 409]);
  assert.deepEqual(of(new MarinaError('NotFound', 'no')), [404, 'NotFound', 404]);
  assert.deepEqual(of(new MarinaError('Unsupported', 'no')), [405, 'MethodNotAllowed', 405]);
  assert.deepEqual(of(new Error('boom')), [500, 'InternalError', 500]);
});
