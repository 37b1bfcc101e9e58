/** The build views fed a scripted event sequence: plain lines, the tty view's frames and redraws, failures, quiet. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BuildEvent } from '../build/build-service.ts';
import {
  type BuildProgressOptions,
  createBuildProgress,
  printableLine,
  summaryLines,
} from './build-progress.ts';

const imageId = `sha256:${'ab12cd34ef56'}${'0'.repeat(52)}`;

function harness(mode: BuildProgressOptions['mode'], extra: Partial<BuildProgressOptions> = {}) {
  const out = { progress: '', summary: '' };
  let clock = 0;
  let tick: (() => void) | undefined;
  let stopped = false;
  const view = createBuildProgress({
    mode,
    progress: (text) => (out.progress += text),
    summary: (text) => (out.summary += text),
    now: () => clock,
    ticker: (fn) => {
      tick = fn;
      return () => (stopped = true);
    },
    columns: 61,
    rows: 24,
    ...extra,
  });
  return {
    view,
    out,
    advance(ms: number) {
      clock += ms;
    },
    tick: () => tick?.(),
    get tickerStopped() {
      return stopped;
    },
  };
}

const from: BuildEvent = {
  type: 'step',
  id: 'a',
  stage: 'build',
  index: 1,
  total: 3,
  instruction: 'FROM busybox',
};
const run: BuildEvent = {
  type: 'step',
  id: 'b',
  stage: 'build',
  index: 2,
  total: 3,
  instruction: 'RUN make',
};
const copy: BuildEvent = {
  type: 'step',
  id: 'c',
  stage: '1',
  index: 2,
  total: 2,
  instruction: 'COPY --from=build /out /',
};

test('plain: BuildKit-like numbered lines, output split into lines, CACHED/DONE, warnings, then the summary', () => {
  const { view, out } = harness('plain');
  view.event(from);
  view.event({ type: 'step-done', id: 'a', cached: true, durationMs: 0 });
  view.event(run);
  view.event({ type: 'output', id: 'b', stream: 'stdout', data: 'compiling\nlin' });
  view.event({ type: 'warning', message: 'FromAsCasing: FROM and AS keywords casing do not match' });
  view.event({ type: 'output', id: 'b', stream: 'stderr', data: 'king\x1b[0m\r\n' });
  view.event({ type: 'output', id: 'b', stream: 'stdout', data: 'no newline' });
  view.event({ type: 'step-done', id: 'b', cached: false, durationMs: 1234 });
  view.event(copy);
  view.event({ type: 'step-done', id: 'c', cached: false, durationMs: 40 });
  view.event({ type: 'result', imageId, tags: ['app', 'localhost:5000/team/app:1'] });
  assert.equal(
    out.progress,
    [
      '#1 [build 1/3] FROM busybox',
      '#1 CACHED',
      '#2 [build 2/3] RUN make',
      '#2 compiling',
      'WARNING: FromAsCasing: FROM and AS keywords casing do not match',
      '#2 linking',
      '#2 no newline',
      '#2 DONE 1.2s',
      '#3 [stage-1 2/2] COPY --from=build /out /',
      '#3 DONE 0.0s',
      '',
    ].join('\n'),
  );
  assert.equal(
    out.summary,
    'Successfully built ab12cd34ef56\nSuccessfully tagged app:latest\nSuccessfully tagged localhost:5000/team/app:1\n',
  );
});

test("a failure prints the failed step's whole output and the error; quiet prints only that", () => {
  for (const mode of ['plain', 'quiet'] as const) {
    const { view, out } = harness(mode);
    view.event(run);
    view.event({ type: 'output', id: 'b', stream: 'stdout', data: 'one\ntwo' });
    view.fail({ message: 'RUN make exited with code 2', details: { step: 'b', exitCode: 2 } });
    const block = '------\n > [build 2/3] RUN make:\none\ntwo\n------\nERROR: RUN make exited with code 2\n';
    if (mode === 'plain')
      assert.equal(
        out.progress,
        `#1 [build 2/3] RUN make\n#1 one\n#1 two\n#1 ERROR: RUN make exited with code 2\n${block}`,
      );
    else assert.equal(out.progress, block);
    assert.equal(out.summary, '');
  }
  const { view, out } = harness('plain');
  view.fail({ message: 'Dockerfile:3:1: unknown instruction: FORM' });
  assert.equal(out.progress, 'ERROR: Dockerfile:3:1: unknown instruction: FORM\n');
});

test('quiet: no progress and no summary (the CLI prints the ID)', () => {
  const { view, out } = harness('quiet');
  view.event(from);
  view.event({ type: 'output', id: 'a', stream: 'stdout', data: 'x\n' });
  view.event({ type: 'step-done', id: 'a', cached: false, durationMs: 5 });
  view.event({ type: 'result', imageId, tags: ['app:1'] });
  assert.deepEqual(out, { progress: '', summary: '' });
});

/** Replays the ANSI the view wrote onto a screen of lines: enough of a terminal to see what the user sees. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  for (const token of text.split(/(\x1b\[\d*[AJ]|\r|\n)/)) {
    if (token === '\n') {
      row++;
      lines[row] ??= '';
    } else if (token === '\r') {
      // Every line the view writes starts at column 0.
    } else if (token.startsWith('\x1b[') && token.endsWith('A')) row -= Number(token.slice(2, -1));
    else if (token === '\x1b[J') {
      lines.splice(row + 1);
      lines[row] = '';
    } else lines[row] = (lines[row] ?? '') + token;
  }
  return lines.slice(0, -1);
}

test('tty: running steps redraw in place with elapsed time and their last lines; finished ones are printed once', () => {
  const h = harness('tty');
  h.view.event(from);
  h.view.event({ type: 'step-done', id: 'a', cached: true, durationMs: 0 });
  h.view.event(run);
  assert.equal(h.out.progress, '', 'nothing is drawn between ticks');
  h.advance(300);
  h.tick();
  assert.deepEqual(screen(h.out.progress), [
    ' => CACHED [build 1/3] FROM busybox',
    ' => [build 2/3] RUN make                                0.3s',
  ]);
  h.view.event({
    type: 'output',
    id: 'b',
    stream: 'stdout',
    data: `${Array.from({ length: 8 }, (_, i) => `line ${i + 1}`).join('\n')}\n50%\r75%`,
  });
  h.advance(900);
  h.tick();
  assert.deepEqual(screen(h.out.progress), [
    ' => CACHED [build 1/3] FROM busybox',
    ' => [build 2/3] RUN make                                1.2s',
    ' => => # line 4',
    ' => => # line 5',
    ' => => # line 6',
    ' => => # line 7',
    ' => => # line 8',
    ' => => # 75%',
  ]);
  h.view.event({ type: 'step-done', id: 'b', cached: false, durationMs: 1500 });
  h.view.event(copy);
  h.tick();
  assert.deepEqual(screen(h.out.progress), [
    ' => CACHED [build 1/3] FROM busybox',
    ' => [build 2/3] RUN make                                1.5s',
    ' => [stage-1 2/2] COPY --from=build /out /              0.0s',
  ]);
  h.view.event({ type: 'step-done', id: 'c', cached: false, durationMs: 20 });
  h.view.event({ type: 'result', imageId, tags: [] });
  assert.ok(h.tickerStopped, 'the redraws stop with the build');
  assert.deepEqual(screen(h.out.progress), [
    ' => CACHED [build 1/3] FROM busybox',
    ' => [build 2/3] RUN make                                1.5s',
    ' => [stage-1 2/2] COPY --from=build /out /              0.0s',
  ]);
  assert.equal(h.out.summary, 'Successfully built ab12cd34ef56\n');
});

test('tty: lines are cut to the terminal width and the live area to its height', () => {
  const h = harness('tty', { columns: 30, rows: 5 });
  h.view.event({ ...run, instruction: `RUN ${'x'.repeat(80)}` });
  h.view.event({ type: 'output', id: 'b', stream: 'stdout', data: 'a\nb\nc\nd\ne\n' });
  h.tick();
  const shown = screen(h.out.progress);
  assert.equal(shown.length, 3);
  for (const line of shown) assert.ok(line.length <= 29, line);
  assert.match(shown[0]!, / 0\.0s$/, 'the title is cut, not the time');
});

test('program output is made printable; the summary uses the familiar names docker prints', () => {
  assert.equal(printableLine('\x1b[1;32mok\x1b[0m\tdone'), 'ok    done');
  assert.equal(printableLine('10%\r20%\r'), '20%');
  assert.deepEqual(summaryLines(imageId, ['docker.io/library/busybox:1']), [
    'Successfully built ab12cd34ef56',
    'Successfully tagged busybox:1',
  ]);
});
