/**
 * Follows a k8s-file log while another process writes it and the rotator rotates it underneath: every
 * line must come out exactly once, in order, including lines split into partial records.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { readLogs } from '../src/engine/logs/log-reader.ts';
import { LogRotator } from '../src/engine/logs/log-rotator.ts';

const LINES = 3000;

/**
 * Stands in for conmon: writes each record with one write(2), splits every 7th line into two partial
 * records, and on "reopen" from stdin closes its file and creates a new one at the same path.
 */
const writerScript = `
import { openSync, closeSync, writeSync } from 'node:fs';
const [logPath, total] = [process.argv[1], Number(process.argv[2])];
let fd = openSync(logPath, 'a');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  for (const _ of chunk.split('\\n').filter((c) => c === 'reopen')) {
    closeSync(fd);
    fd = openSync(logPath, 'a');
    process.stdout.write('reopened\\n');
  }
});
const stamp = () => new Date().toISOString().replace('Z', '000000+00:00');
const record = (stream, tag, text) => writeSync(fd, stamp() + ' ' + stream + ' ' + tag + ' ' + text + '\\n');
let i = 0;
function batch() {
  for (let n = 0; n < 20 && i < total; n++, i++) {
    const stream = i % 5 === 0 ? 'stderr' : 'stdout';
    const text = 'line ' + i + ' ' + 'x'.repeat(i % 40);
    if (i % 7 === 0) {
      record(stream, 'P', text.slice(0, 4));
      record(stream, 'F', text.slice(4));
    } else {
      record(stream, 'F', text);
    }
  }
  if (i < total) setTimeout(batch, 1);
  else { closeSync(fd); process.exit(0); }
}
batch();
`;

test('following survives rotation mid-stream without losing or repeating a line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-logs-follow-'));
  const logPath = join(dir, 'ctr.log');
  const child = spawn(process.execPath, ['--input-type=module', '-e', writerScript, logPath, String(LINES)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  // A reopen request can race the writer's exit; the broken pipe is expected then.
  child.stdin!.on('error', () => {});
  let rotations = 0;
  const rotator = new LogRotator({
    maxBytes: 4096,
    maxFiles: 10_000,
    intervalMs: 5,
    logger: { warn: (...args: unknown[]) => console.error('rotator:', ...args) },
    reopen: async () => {
      if (child.exitCode !== null) return;
      child.stdin!.write('reopen\n');
      // The writer may exit before it answers.
      await Promise.race([once(child.stdout!, 'data'), exited]);
      rotations++;
    },
  });
  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(), 60_000);
  t.after(async () => {
    clearTimeout(deadline);
    await rotator.stop();
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  rotator.track('c1', logPath);
  await once(child, 'spawn');
  rotator.start();

  const seen: string[] = [];
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  for await (const entry of readLogs(logPath, { follow: true }, { isRunning, signal: abort.signal })) {
    seen.push(`${entry.stream} ${entry.data.toString()}`);
  }
  await exited;

  assert.equal(abort.signal.aborted, false, 'the follower ended because the writer exited, not by timeout');
  assert.equal(child.exitCode, 0);
  const expected = Array.from({ length: LINES }, (_, i) => `${i % 5 === 0 ? 'stderr' : 'stdout'} line ${i} ${'x'.repeat(i % 40)}\n`);
  const firstMismatch = seen.findIndex((line, i) => line !== expected[i]);
  assert.equal(firstMismatch, -1, `first wrong entry at ${firstMismatch}: ${seen[firstMismatch]}`);
  assert.equal(seen.length, LINES);
  assert.ok(rotations >= 3, `the log was rotated while followed (${rotations} rotations)`);
  assert.ok(readdirSync(dir).filter((n) => n.startsWith('ctr.log.')).length >= 3);
});
