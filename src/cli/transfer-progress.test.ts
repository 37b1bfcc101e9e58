/** The pure parts of pull/push output: plain lines, their throttling, speeds and docker's closing lines. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import {
  createProgressRenderer,
  formatPlainLine,
  formatSpeed,
  PlainLineThrottle,
} from './transfer-progress.ts';

test('plain lines read like docker: id, status, bytes done/total in decimal units', () => {
  assert.equal(
    formatPlainLine({ id: 'a1b2c3d4e5f6', status: 'Downloading', current: 12_300_000, total: 50_000_000 }),
    'a1b2c3d4e5f6: Downloading 12.3MB/50MB',
  );
  assert.equal(
    formatPlainLine({ id: 'a1b2c3d4e5f6', status: 'Pushing', current: 999 }),
    'a1b2c3d4e5f6: Pushing 999B',
  );
  assert.equal(
    formatPlainLine({ id: 'a1b2c3d4e5f6', status: 'Pull complete' }),
    'a1b2c3d4e5f6: Pull complete',
  );
  assert.equal(
    formatPlainLine({ status: 'latest: Pulling from library/busybox' }),
    'latest: Pulling from library/busybox',
  );
});

test('byte counts print at most once a second per layer; status changes always', () => {
  const throttle = new PlainLineThrottle();
  const at = (id: string, status: string, current: number | undefined, now: number) =>
    throttle.shouldPrint(current === undefined ? { id, status } : { id, status, current, total: 100 }, now);
  assert.equal(at('a', 'Downloading', 1, 0), true);
  assert.equal(at('a', 'Downloading', 2, 500), false);
  assert.equal(at('b', 'Downloading', 1, 600), true, 'another layer has its own second');
  assert.equal(at('a', 'Downloading', 3, 999), false);
  assert.equal(at('a', 'Downloading', 4, 1000), true);
  assert.equal(at('a', 'Download complete', undefined, 1001), true);
  assert.equal(at('a', 'Pull complete', undefined, 1002), true);
  assert.equal(at('b', 'Downloading', 50, 1100), false);
});

test('speed is bytes per second in decimal units, blank before any time passed', () => {
  assert.equal(formatSpeed(5_000_000, 2000), '2.5MB/s');
  assert.equal(formatSpeed(10, 0), '');
});

test('off a terminal the renderer writes throttled plain lines', async () => {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += chunk;
        done();
      },
    }),
    { isTTY: false },
  ) as unknown as NodeJS.WriteStream;
  const renderer = await createProgressRenderer(stream);
  renderer.update({ id: 'abc', status: 'Downloading', current: 1, total: 10 });
  renderer.update({ id: 'abc', status: 'Downloading', current: 2, total: 10 });
  renderer.update({ id: 'abc', status: 'Pull complete' });
  renderer.stop();
  assert.equal(text, 'abc: Downloading 1B/10B\nabc: Pull complete\n');
});
