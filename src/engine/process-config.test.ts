import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { defaultPath, mergeEnv, mergeProcessConfig } from './process-config.ts';

const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve', '--port', '80'], Env: ['PATH=/opt/bin', 'A=image'], WorkingDir: '/app', User: 'www' };

test('image entrypoint + cmd when the request gives neither', () => {
  const p = mergeProcessConfig(image, { image: 'x' });
  assert.equal(p.path, '/entry.sh');
  assert.deepEqual(p.args, ['serve', '--port', '80']);
  assert.equal(p.workingDir, '/app');
  assert.equal(p.user, 'www');
});

test('request cmd replaces the image cmd and keeps the entrypoint', () => {
  const p = mergeProcessConfig(image, { image: 'x', cmd: ['migrate'] });
  assert.deepEqual([p.path, ...p.args], ['/entry.sh', 'migrate']);
});

test('--entrypoint clears the image cmd unless a cmd is given', () => {
  assert.deepEqual(mergeProcessConfig(image, { image: 'x', entrypoint: ['/bin/sh'] }).args, []);
  const p = mergeProcessConfig(image, { image: 'x', entrypoint: ['/bin/sh'], cmd: ['-c', 'id'] });
  assert.deepEqual([p.path, ...p.args], ['/bin/sh', '-c', 'id']);
});

test("--entrypoint '' with a cmd runs the cmd alone", () => {
  const p = mergeProcessConfig(image, { image: 'x', entrypoint: [], cmd: ['echo', 'hi'] });
  assert.deepEqual([p.path, ...p.args], ['echo', 'hi']);
});

test('nothing to run is Invalid', () => {
  assert.throws(
    () => mergeProcessConfig({}, { image: 'x' }),
    (e) => isMarinaError(e, 'Invalid') && e.message.startsWith('no command specified'),
  );
  assert.throws(() => mergeProcessConfig(image, { image: 'x', entrypoint: [] }), (e) => isMarinaError(e, 'Invalid'));
});

test('env: request overrides image keys in place, adds new ones, default PATH when missing', () => {
  assert.deepEqual(mergeProcessConfig(image, { image: 'x', env: ['A=req', 'B=2'] }).env, ['PATH=/opt/bin', 'A=req', 'B=2']);
  assert.deepEqual(mergeProcessConfig({ Cmd: ['sh'] }, { image: 'x' }).env, [`PATH=${defaultPath}`]);
});

test('workdir and user: request wins, then image, then defaults', () => {
  const p = mergeProcessConfig({ Cmd: ['sh'] }, { image: 'x', workingDir: '/w', user: '1000:1000' });
  assert.equal(p.workingDir, '/w');
  assert.equal(p.user, '1000:1000');
  const d = mergeProcessConfig({ Cmd: ['sh'] }, { image: 'x' });
  assert.equal(d.workingDir, '/');
  assert.equal(d.user, '');
  assert.equal(mergeProcessConfig(image, { image: 'x', user: '' }).user, '');
});

test('mergeEnv: later lists win, first position kept', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=1'], ['A=2']), ['A=2', 'B=1']);
});
