import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { applyChanges } from './changes.ts';

test('CMD and ENTRYPOINT in JSON and shell form', () => {
  assert.deepEqual(applyChanges({}, ['CMD ["sh", "-c", "echo hi"]']).Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(applyChanges({}, ['cmd echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(applyChanges({}, ['ENTRYPOINT ["/init"]']).Entrypoint, ['/init']);
});

test('ENV sets, overrides and keeps order; quoted and legacy forms', () => {
  const config = applyChanges({ Env: ['PATH=/bin', 'A=0'] }, ['ENV A=1 B="two words"', 'ENV C hello world']);
  assert.deepEqual(config.Env, ['PATH=/bin', 'A=1', 'B=two words', 'C=hello world']);
});

test('LABEL, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL', () => {
  const config = applyChanges({ Labels: { keep: 'yes' } }, [
    'LABEL a=1 "b c"=\'d e\'',
    'WORKDIR /srv',
    'USER 1000:1000',
    'EXPOSE 80 53/UDP',
    'VOLUME ["/data"]',
    'VOLUME /cache',
    'STOPSIGNAL SIGINT',
  ]);
  assert.deepEqual(config.Labels, { keep: 'yes', a: '1', 'b c': 'd e' });
  assert.equal(config.WorkingDir, '/srv');
  assert.equal(config.User, '1000:1000');
  assert.deepEqual(config.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(config.Volumes, { '/data': {}, '/cache': {} });
  assert.equal(config.StopSignal, 'SIGINT');
});

test('does not modify its input', () => {
  const base = { Env: ['A=1'] };
  applyChanges(base, ['ENV A=2']);
  assert.deepEqual(base, { Env: ['A=1'] });
});

test('bad changes are Invalid and name the change', () => {
  const bad: [string, RegExp][] = [
    ['RUN echo', /supported instructions/],
    ['CMD', /needs an argument/],
    ['CMD ["sh", 1]', /array of strings/],
    ['CMD [oops', /valid JSON/],
    ['LABEL novalue', /not key=value/],
    ['ENV A="unterminated', /unterminated/],
    ['EXPOSE http', /not a port/],
  ];
  for (const [change, pattern] of bad) {
    assert.throws(
      () => applyChanges({}, [change]),
      (err) => isMarinaError(err, 'Invalid') && err.message.includes(change) && pattern.test(err.message),
      change,
    );
  }
});
