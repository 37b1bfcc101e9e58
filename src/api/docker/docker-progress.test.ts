import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MarinaError } from '../../errors.ts';
import {
  ClassicBuildOutput,
  errorMessage,
  pullingFrom,
  pushAux,
  pushRefersTo,
  transferMessages,
} from './docker-progress.ts';

test('transfer progress becomes Docker status lines; Download complete is followed by Pull complete', () => {
  assert.deepEqual(transferMessages({ id: 'abc', status: 'Downloading', current: 5, total: 10 }), [
    { status: 'Downloading', id: 'abc', progressDetail: { current: 5, total: 10 } },
  ]);
  assert.deepEqual(transferMessages({ id: 'abc', status: 'Download complete' }), [
    { status: 'Download complete', id: 'abc' },
    { status: 'Pull complete', id: 'abc' },
  ]);
  assert.deepEqual(transferMessages({ status: 'Digest: sha256:1' }), [{ status: 'Digest: sha256:1' }]);
  assert.deepEqual(pullingFrom('library/busybox', 'latest'), {
    status: 'Pulling from library/busybox',
    id: 'latest',
  });
  assert.deepEqual(pushRefersTo('h:5000/a'), { status: 'The push refers to repository [h:5000/a]' });
  assert.deepEqual(pushAux('v1', 'sha256:d', 5), { aux: { Tag: 'v1', Digest: 'sha256:d', Size: 5 } });
});

test('errors carry the exit code of a failed RUN as errorDetail.code', () => {
  const failed = new MarinaError('BuildFailed', 'RUN exit 3 returned a non-zero code: 3', {
    details: { step: 's', exitCode: 3 },
  });
  assert.deepEqual(errorMessage(failed), {
    errorDetail: { code: 3, message: 'RUN exit 3 returned a non-zero code: 3' },
    error: 'RUN exit 3 returned a non-zero code: 3',
  });
  assert.deepEqual(errorMessage(new MarinaError('Invalid', 'bad')), {
    errorDetail: { message: 'bad' },
    error: 'bad',
  });
});

test('the classic build output: steps, cache hits, output, result; quiet keeps only the ID', () => {
  const out = new ClassicBuildOutput({ quiet: false });
  assert.deepEqual(
    out.event({ type: 'step', id: '1', stage: '0', index: 2, total: 3, instruction: 'RUN echo hi' }),
    [{ stream: 'Step 2/3 : RUN echo hi\n' }],
  );
  assert.deepEqual(out.event({ type: 'step-done', id: '1', cached: true, durationMs: 1 }), [
    { stream: ' ---> Using cache\n' },
  ]);
  assert.deepEqual(out.event({ type: 'step-done', id: '1', cached: false, durationMs: 1 }), []);
  out.event({ type: 'step', id: '0', stage: '0', index: 1, total: 3, instruction: 'FROM busybox' });
  assert.deepEqual(
    out.event({ type: 'step-done', id: '0', cached: true, durationMs: 1 }),
    [],
    'a base image is no cache hit',
  );
  assert.deepEqual(out.event({ type: 'output', id: '1', stream: 'stdout', data: 'hi\n' }), [
    { stream: 'hi\n' },
  ]);
  assert.deepEqual(out.event({ type: 'result', imageId: 'sha256:x', tags: [] }), []);
  const id = `sha256:${'ab'.repeat(32)}`;
  assert.deepEqual(out.result({ imageId: id, tags: ['x:1'] }), [
    { aux: { ID: id } },
    { stream: 'Successfully built abababababab\n' },
    { stream: 'Successfully tagged x:1\n' },
  ]);
  const quiet = new ClassicBuildOutput({ quiet: true });
  assert.deepEqual(quiet.event({ type: 'output', id: '1', stream: 'stdout', data: 'hi\n' }), []);
  assert.deepEqual(quiet.result({ imageId: id, tags: ['x:1'] }), [
    { aux: { ID: id } },
    { stream: `${id}\n` },
  ]);
});
