import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseContainerCreate, parseExecCreate } from './request-schemas.ts';

test('accepts a full container create request as it is', () => {
  const request = {
    image: 'busybox',
    cmd: ['true'],
    mounts: [{ type: 'tmpfs' as const, target: '/t', sizeBytes: 1024 }],
    resources: { memoryBytes: 1 << 20 },
    restartPolicy: { name: 'on-failure' as const, maximumRetryCount: 2 },
  };
  assert.deepEqual(parseContainerCreate(request), request);
});

test('names the field path of a wrong value', () => {
  assert.throws(
    () => parseContainerCreate({ image: 'busybox', resources: { memoryBytes: 'lots' } }),
    (err: Error & { code?: string; details?: Record<string, unknown> }) =>
      err.code === 'Invalid' &&
      err.details?.field === 'resources.memoryBytes' &&
      /resources\.memoryBytes/.test(err.message),
  );
});

test('refuses unknown fields and a missing image', () => {
  assert.throws(() => parseContainerCreate({ image: 'busybox', comand: ['x'] }), { code: 'Invalid' });
  assert.throws(() => parseContainerCreate({}), /image/);
});

test('an exec needs a command', () => {
  assert.throws(
    () => parseExecCreate({ cmd: [] }),
    (err: Error) => /cmd/.test(err.message),
  );
});
