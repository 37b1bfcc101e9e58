/** Reaching the daemon: the not-running message, two daemons on two roots, one daemon per root. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { marinaBin, marinadBin, runProcess, startDaemon } from './harness.ts';

test('without a daemon the CLI says how to start one and exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-nodaemon-'));
  try {
    const r = await runProcess(marinaBin, ['ps'], { env: { MARINA_HOST: `unix://${dir}/none.sock` } });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^Cannot connect to marinad at unix://${dir}/none.sock: is it running\\? Start it with: sudo marinad`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two daemons on different roots run side by side; a second one on the same root is refused', async (t) => {
  const a = await startDaemon();
  t.after(() => a.destroy());
  const b = await startDaemon();
  t.after(() => b.destroy());

  assert.equal(await a.ok(['run', '--rm', 'busybox', 'echo', 'from-a']), 'from-a\n');
  assert.equal(await b.ok(['run', '--rm', 'busybox', 'echo', 'from-b']), 'from-b\n');
  const name = `side-${process.pid}`;
  await a.ok(['create', '--name', name, 'busybox', 'true']);
  assert.match(await a.ok(['ps', '-a']), new RegExp(name));
  assert.doesNotMatch(await b.ok(['ps', '-a']), new RegExp(name));

  const second = await runProcess(marinadBin, ['--root', a.root, '--socket', join(a.root, 'second.sock')], {
    timeoutMs: 20_000,
  });
  assert.equal(second.code, 1);
  assert.match(second.stderr, /another marinad \(pid \d+\) already uses the state root/);
  // The refused daemon touched nothing: the first still answers.
  assert.equal(await a.ok(['run', '--rm', 'busybox', 'echo', 'still-here']), 'still-here\n');
});
