/** `marina run -it` and `exec -it` through a real pseudo-terminal (script(1) gives the CLI a TTY). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { marinaBin, runProcess, useDaemon } from './harness.ts';

const d = useDaemon();

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs marina under script(1) so its stdin and stdout are a terminal; `-e` returns the child's exit code. */
function inTerminal(args: string[], input: string) {
  const command = `stty cols 91 rows 17; ${[marinaBin, ...args].map(quote).join(' ')}`;
  return runProcess('script', ['-qefc', command, '/dev/null'], {
    input,
    env: { MARINA_HOST: `unix://${d.socket}` },
    timeoutMs: 30_000,
  });
}

test('run -it gives the container a terminal of the caller size and keystrokes reach it', async () => {
  const r = await inTerminal(['run', '--rm', '-it', 'busybox', 'sh'], 'tty; stty size; exit 7\n');
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
  assert.match(r.stdout, /17 91/);
  assert.doesNotMatch(r.stdout, /\r\r\n/, 'line ends reach the terminal once translated, not twice');
  assert.equal(r.code, 7, r.stdout + r.stderr);
});

test('exec -it runs in a terminal and exits with the command code', async () => {
  const name = `tty-${process.pid}`;
  await d.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '600']);
  try {
    const r = await inTerminal(['exec', '-it', name, 'sh'], 'tty; exit 4\n');
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.equal(r.code, 4, r.stdout + r.stderr);
  } finally {
    await d.marina(['rm', '-f', name]);
  }
});

test('build on a terminal shows the live step view, redrawn in place, then the summary', async (t) => {
  const ctx = mkdtempSync(join(tmpdir(), 'marina-tty-build-'));
  t.after(() => rmSync(ctx, { recursive: true, force: true }));
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo tty-step-output && sleep 0.5\n');
  const r = await inTerminal(['build', '--no-cache', '-t', `tty-build-${process.pid}`, ctx], '');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /RUN echo tty-step-output && sleep 0\.5/);
  assert.match(r.stdout, /tty-step-output/, 'a running step shows its output');
  assert.match(r.stdout, /\x1b\[\d*[AFK]/, 'the view is redrawn with cursor movements');
  assert.match(r.stdout, /Successfully built [0-9a-f]{12}/);
});
