import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../../controllers/test-eventually.ts';
import { SyncRunner } from './sync-runner.ts';

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

test('the first request runs at once; requests during a run fold into one more run', async () => {
  const release = gate();
  let runs = 0;
  const runner = new SyncRunner(
    async () => {
      runs++;
      if (runs === 1) await release.opened;
    },
    { minIntervalMs: 20, retryMs: 1000, onError: (err) => assert.fail(String(err)) },
  );
  runner.request();
  assert.equal(runs, 1, 'ran synchronously on the first request');
  for (let i = 0; i < 10; i++) runner.request();
  release.open();
  await eventually(() => runs === 2, 'the folded run');
  await runner.stop();
  assert.equal(runs, 2);
});

test('a failed run is reported and retried; stop ends the retries', async () => {
  const errors: unknown[] = [];
  let runs = 0;
  const runner = new SyncRunner(
    async () => {
      runs++;
      if (runs === 1) throw new Error('iptables busy');
    },
    { minIntervalMs: 20, retryMs: 10, onError: (err) => errors.push(err) },
  );
  runner.request();
  await eventually(() => runs === 2, 'the retry');
  assert.equal(errors.length, 1);
  await runner.stop();
  runner.request();
  assert.equal(runs, 2, 'no run after stop');
});
