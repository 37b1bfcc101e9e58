import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processOverrides } from './container-command.ts';
import { testContainer } from './test-pods.ts';

const env = new Map([['PORT', '8080']]);

test('no command and no args keep the image entrypoint and cmd', () => {
  assert.deepEqual(processOverrides(testContainer(), env), {});
  assert.deepEqual(processOverrides(testContainer({ command: [], args: [] }), env), {});
});

test('command replaces the entrypoint (and with it the image cmd); args replace the cmd', () => {
  assert.deepEqual(processOverrides(testContainer({ command: ['httpd', '-f'] }), env), {
    entrypoint: ['httpd', '-f'],
  });
  assert.deepEqual(processOverrides(testContainer({ args: ['-v'] }), env), { cmd: ['-v'] });
  assert.deepEqual(processOverrides(testContainer({ command: ['sh', '-c'], args: ['echo hi'] }), env), {
    entrypoint: ['sh', '-c'],
    cmd: ['echo hi'],
  });
});

test('command and args see $(VAR) references expanded', () => {
  assert.deepEqual(
    processOverrides(testContainer({ command: ['httpd', '-p', '$(PORT)'], args: ['$(MISSING)'] }), env),
    {
      entrypoint: ['httpd', '-p', '8080'],
      cmd: ['$(MISSING)'],
    },
  );
});
