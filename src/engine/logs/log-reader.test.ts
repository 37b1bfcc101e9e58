import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LogEntry, LogOptions } from '../container-types.ts';
import { formatK8sLine, type LogStream } from './k8s-log.ts';
import { readLogs } from './log-reader.ts';

type Rec = [second: number, stream: LogStream, partial: boolean, text: string];

const timeAt = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString().replace('Z', '000000Z');

function write(path: string, records: Rec[], unfinished = ''): void {
  const lines = records.map(([s, stream, partial, text]) => formatK8sLine(timeAt(s), stream, partial, text));
  writeFileSync(path, Buffer.concat([...lines, Buffer.from(unfinished)]));
}

async function collect(logPath: string, options: LogOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of readLogs(logPath, options, { isRunning: () => false }) as AsyncIterable<LogEntry>) {
    out.push(`${entry.stream}:${entry.data.toString()}`);
  }
  return out;
}

/** Three files: ctr.log.2 (oldest), ctr.log.1, ctr.log; a stdout line split across the .1/.0 boundary. */
function multiFileLog(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'marina-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logPath = join(dir, 'ctr.log');
  write(`${logPath}.2`, [
    [1, 'stdout', false, 'one'],
    [2, 'stderr', false, 'two'],
  ]);
  write(`${logPath}.1`, [
    [3, 'stdout', false, 'three'],
    [4, 'stdout', true, 'fo'],
    [5, 'stderr', false, 'five'],
  ]);
  write(
    logPath,
    [
      [6, 'stdout', true, 'u'],
      [7, 'stdout', false, 'r'],
      [8, 'stderr', false, 'eight'],
    ],
    `${timeAt(9)} stdout F not yet`,
  );
  return logPath;
}

test('reads rotated files oldest first, joins partials across files, skips an unfinished last line', async (t) => {
  const logPath = multiFileLog(t);
  assert.deepEqual(await collect(logPath, {}), [
    'stdout:one\n',
    'stderr:two\n',
    'stdout:three\n',
    'stderr:five\n',
    'stdout:four\n',
    'stderr:eight\n',
  ]);
});

test('tail counts whole entries from the end, reaching back for the head of a split line', async (t) => {
  const logPath = multiFileLog(t);
  assert.deepEqual(await collect(logPath, { tail: 2 }), ['stdout:four\n', 'stderr:eight\n']);
  assert.deepEqual(await collect(logPath, { tail: 3 }), ['stderr:five\n', 'stdout:four\n', 'stderr:eight\n']);
  assert.deepEqual(await collect(logPath, { tail: 0 }), []);
  assert.equal((await collect(logPath, { tail: 100 })).length, 6);
});

test('tail applies after the stream filter', async (t) => {
  const logPath = multiFileLog(t);
  assert.deepEqual(await collect(logPath, { tail: 2, stderr: true }), ['stderr:five\n', 'stderr:eight\n']);
  assert.deepEqual(await collect(logPath, { tail: 2, stdout: true }), ['stdout:three\n', 'stdout:four\n']);
});

test('since and until bound the entries by the time their line completed', async (t) => {
  const logPath = multiFileLog(t);
  assert.deepEqual(await collect(logPath, { since: timeAt(5), until: timeAt(7) }), ['stderr:five\n', 'stdout:four\n']);
  assert.deepEqual(await collect(logPath, { since: timeAt(5), tail: 1 }), ['stderr:eight\n']);
  assert.deepEqual(await collect(logPath, { since: timeAt(8), tail: 5 }), ['stderr:eight\n']);
});

test('a line left partial at the end of a stopped log is shown without a newline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logPath = join(dir, 'ctr.log');
  write(logPath, [
    [1, 'stdout', false, 'done'],
    [2, 'stdout', true, 'prompt> '],
  ]);
  assert.deepEqual(await collect(logPath, {}), ['stdout:done\n', 'stdout:prompt> ']);
  assert.deepEqual(await collect(logPath, { tail: 1 }), ['stdout:prompt> ']);
});

test('a missing log is empty; bad options throw before reading', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marina-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(await collect(join(dir, 'ctr.log'), { follow: true }), []);
  assert.throws(() => readLogs(join(dir, 'ctr.log'), { since: 'soon' }, { isRunning: () => false }), /since/);
});
