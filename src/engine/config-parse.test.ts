import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import {
  parseCpus,
  parseDuration,
  parseEnv,
  parseLabels,
  parseMemory,
  parseRestartPolicy,
  parseTmpfs,
  parseVolume,
} from './config-parse.ts';

const invalidWith = (text: string) => (e: unknown) => isMarinaError(e, 'Invalid') && e.message.includes(text);

test('memory: units b, k, m, g (binary), case-insensitive, optional trailing b', () => {
  assert.equal(parseMemory('1024'), 1024);
  assert.equal(parseMemory('10b'), 10);
  assert.equal(parseMemory('4k'), 4096);
  assert.equal(parseMemory('512m'), 512 * 1024 * 1024);
  assert.equal(parseMemory('1G'), 1024 ** 3);
  assert.equal(parseMemory('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(parseMemory('64mb'), 64 * 1024 ** 2);
});

test('memory: bad values are Invalid with the documented message', () => {
  assert.throws(
    () => parseMemory('12x'),
    invalidWith('invalid memory value "12x": use a number with an optional unit b, k, m or g'),
  );
  for (const bad of ['', 'm', '-1m', '1t', '1 0m']) assert.throws(() => parseMemory(bad), invalidWith('invalid memory value'));
});

test('cpus: decimal to nano CPUs, bounded by the host', () => {
  assert.equal(parseCpus('1.5', 2), 1_500_000_000);
  assert.equal(parseCpus('0.01', 2), 10_000_000);
  assert.equal(parseCpus('2', 2), 2_000_000_000);
  assert.throws(() => parseCpus('3', 2), invalidWith('only 2 CPUs available'));
  assert.throws(() => parseCpus('0', 2), invalidWith('range of CPUs'));
  assert.throws(() => parseCpus('abc', 2), invalidWith('invalid cpus value "abc"'));
  assert.throws(() => parseCpus('-1', 2), invalidWith('invalid cpus value'));
});

test('durations: Go spellings to milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1h2m3.5s'), 3_723_500);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('.5s'), 500);
  assert.equal(parseDuration('1500us'), 1.5);
  assert.equal(parseDuration('250µs'), 0.25);
  assert.equal(parseDuration('+3s'), 3000);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('0s'), 0);
});

test('durations: bad values are Invalid and say why', () => {
  assert.throws(
    () => parseDuration('abc', 'health-interval'),
    invalidWith(
      'invalid health-interval value "abc": it is not a duration; use a number with a unit, such as 500ms, 2s or 1m30s',
    ),
  );
  assert.throws(() => parseDuration('5'), invalidWith('missing unit after "5"'));
  assert.throws(() => parseDuration('1s2'), invalidWith('missing unit after "2"'));
  assert.throws(() => parseDuration('3d'), invalidWith('unknown unit "d"'));
  assert.throws(() => parseDuration('-1s'), invalidWith('must not be negative'));
  for (const bad of ['', 's', '1s ', ' 1s', '1 s', '1.2.3s'])
    assert.throws(() => parseDuration(bad), invalidWith('invalid duration value'));
});

test('restart policies', () => {
  assert.deepEqual(parseRestartPolicy('no'), { name: 'no' });
  assert.deepEqual(parseRestartPolicy('always'), { name: 'always' });
  assert.deepEqual(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped' });
  assert.deepEqual(parseRestartPolicy('on-failure'), { name: 'on-failure' });
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
  assert.throws(() => parseRestartPolicy('sometimes'), invalidWith('invalid restart policy "sometimes"'));
  assert.throws(() => parseRestartPolicy('always:3'), invalidWith('only goes with on-failure'));
  assert.throws(() => parseRestartPolicy('on-failure:x'), invalidWith('whole number'));
  assert.throws(() => parseRestartPolicy('on-failure:1:2'), invalidWith('invalid restart policy'));
});

test('volumes: bind, named, anonymous, modes', () => {
  assert.deepEqual(parseVolume('/srv/data:/data'), { type: 'bind', source: '/srv/data', target: '/data', readOnly: false });
  assert.deepEqual(parseVolume('/srv:/srv:ro'), { type: 'bind', source: '/srv', target: '/srv', readOnly: true });
  assert.deepEqual(parseVolume('cache:/cache:rw'), { type: 'volume', name: 'cache', target: '/cache', readOnly: false });
  assert.deepEqual(parseVolume('/scratch'), { type: 'volume', target: '/scratch' });
});

test('volumes: relative host paths are refused with a hint; bad modes and targets too', () => {
  assert.throws(() => parseVolume('./data:/data'), invalidWith('give an absolute path (e.g. "$PWD/data")'));
  assert.throws(() => parseVolume('data/sub:/data'), invalidWith('is relative'));
  assert.throws(() => parseVolume('/a:/b:rx'), invalidWith('unknown mode "rx"'));
  assert.throws(() => parseVolume('/a:b'), invalidWith('must be absolute'));
  assert.throws(() => parseVolume('relative'), invalidWith('must be absolute'));
  assert.throws(() => parseVolume('/a::ro'), invalidWith('invalid volume'));
});

test('tmpfs: target with size and octal mode', () => {
  assert.deepEqual(parseTmpfs('/run'), { type: 'tmpfs', target: '/run' });
  assert.deepEqual(parseTmpfs('/run:size=64m,mode=1777'), {
    type: 'tmpfs',
    target: '/run',
    sizeBytes: 64 * 1024 ** 2,
    mode: 0o1777,
  });
  assert.throws(() => parseTmpfs('/run:uid=5'), invalidWith('invalid tmpfs option "uid=5"'));
  assert.throws(() => parseTmpfs('/run:mode=999'), invalidWith('invalid tmpfs option'));
  assert.throws(() => parseTmpfs('run'), invalidWith('must be absolute'));
});

test('env: K=V kept, K taken from the caller or dropped', () => {
  assert.deepEqual(parseEnv(['A=1', 'B', 'C', 'D=x=y'], { B: 'two' }), ['A=1', 'B=two', 'D=x=y']);
  assert.throws(() => parseEnv(['=v'], {}), invalidWith('invalid environment variable "=v"'));
});

test('labels', () => {
  assert.deepEqual(parseLabels(['a=1', 'b', 'c=x=y', 'a=2']), { a: '2', b: '', c: 'x=y' });
  assert.throws(() => parseLabels(['=v']), invalidWith('invalid label'));
});
