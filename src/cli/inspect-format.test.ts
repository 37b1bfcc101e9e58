import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileFormat } from './inspect-format.ts';

const record = {
  id: 'abc',
  name: 'web',
  state: { exitCode: 3, running: false, status: 'exited' },
  request: { image: 'busybox', cmd: ['true'] },
  labels: { 'com.example/tier': 'front' },
};

test('reads fields with Docker spelling case-insensitively', () => {
  assert.equal(compileFormat('{{.State.ExitCode}}')(record), '3');
  assert.equal(compileFormat('{{.Name}} is {{.State.Status}}')(record), 'web is exited');
  assert.equal(compileFormat('{{.State.Running}}')(record), 'false');
});

test('json, index, the whole object and missing values', () => {
  assert.equal(compileFormat('{{json .Config}}')(record), '{"image":"busybox","cmd":["true"]}');
  assert.equal(compileFormat('{{index .Labels "com.example/tier"}}')(record), 'front');
  assert.equal(compileFormat('{{.State.Nope}}')(record), '<no value>');
  assert.equal(compileFormat('{{json .}}')({ a: 1 }), '{"a":1}');
});

test('refuses what it does not understand before rendering anything', () => {
  assert.throws(() => compileFormat('{{range .Mounts}}{{end}}'), /unsupported action/);
  assert.throws(() => compileFormat('{{.State..X}}'), /bad field path/);
  assert.throws(() => compileFormat('{{.Name}'), /unbalanced/);
});
