import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { StdioSession } from '../runtime/runtime.ts';
import { AttachSession } from './attach-session.ts';

function fakeSession(): StdioSession & { output: PassThrough; closed: boolean; stdin: PassThrough } {
  const stdin = new PassThrough();
  const s = {
    output: new PassThrough({ objectMode: true }),
    input: stdin,
    stdin,
    closed: false,
    close() {
      s.closed = true;
    },
  };
  return s;
}

test('output written after connect reaches the client; stdin flows to the process', async () => {
  const attach = new AttachSession({ tty: false, stdin: true, endsStdin: true });
  const session = fakeSession();
  attach.input!.write('typed before start\n');
  attach.connect(session);
  session.output.end({ stream: 'stdout', data: Buffer.from('hi\n') });
  const frames = await attach.output.toArray();
  assert.deepEqual(frames, [{ stream: 'stdout', data: Buffer.from('hi\n') }]);
  attach.input!.end();
  const typed = await session.stdin.toArray();
  assert.equal(Buffer.concat(typed).toString(), 'typed before start\n');
});

test('closing before the container starts releases the runtime session at connect', () => {
  let released = false;
  const attach = new AttachSession({ tty: true, stdin: false, endsStdin: false, onClose: () => (released = true) });
  attach.close();
  assert.equal(released, true);
  const session = fakeSession();
  attach.connect(session);
  assert.equal(session.closed, true);
  assert.equal(attach.input, undefined);
});
